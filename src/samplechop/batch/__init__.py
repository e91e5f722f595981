"""Batches of files for the bulk commands (``chop`` over many inputs, ``dataset build``,
``corpus render``): the per-file units of work, the engine that runs them locally or
on Dask, and the batch summary. Dask is imported only when ``--scheduler`` is given."""
