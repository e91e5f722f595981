"""Training (needs the ``train`` extra: PyTorch). Nothing on the chopping path imports this."""
