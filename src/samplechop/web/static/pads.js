// Pads on screen, one per chop, and the computer keys that play them.

// Keys of pads 1-36: the number row, then the three letter rows, left to right.
export const PAD_KEYS = "1234567890qwertyuiopasdfghjklzxcvbnm";

export function padForKey(key) {
  if (key.length !== 1) return -1;
  return PAD_KEYS.indexOf(key.toLowerCase());
}

function clock(seconds) {
  const minutes = Math.floor(seconds / 60);
  const rest = seconds - minutes * 60;
  return `${minutes}:${rest.toFixed(2).padStart(5, "0")}`;
}

export class Pads {
  constructor(container, { onPlay }) {
    this.container = container;
    this.onPlay = onPlay;
    this.buttons = [];
  }

  // chops: [{id, time}] sorted; duration: seconds; selected: an id or null
  render(chops, duration, selected) {
    while (this.buttons.length > chops.length) this.buttons.pop().remove();
    while (this.buttons.length < chops.length) {
      const index = this.buttons.length;
      const button = document.createElement("button");
      button.type = "button";
      button.className = "pad";
      button.innerHTML = '<span class="number"></span><span class="key"></span><span class="time"></span>';
      button.addEventListener("pointerdown", (event) => {
        if (event.button === 0) this.onPlay(index);
      });
      button.addEventListener("keydown", (event) => {
        if (event.key === "Enter") {
          event.preventDefault();
          this.onPlay(index);
        }
      });
      this.container.appendChild(button);
      this.buttons.push(button);
    }
    chops.forEach((chop, index) => {
      const button = this.buttons[index];
      const end = index + 1 < chops.length ? chops[index + 1].time : duration;
      button.querySelector(".number").textContent = String(index + 1);
      button.querySelector(".key").textContent = PAD_KEYS[index] || "";
      button.querySelector(".time").textContent = `${clock(chop.time)} · ${(end - chop.time).toFixed(2)} s`;
      button.classList.toggle("selected", chop.id === selected);
      button.title = `Pad ${index + 1}${PAD_KEYS[index] ? ` (key ${PAD_KEYS[index].toUpperCase()})` : ""}`;
    });
  }

  setPlaying(index) {
    this.buttons.forEach((button, i) => button.classList.toggle("playing", i === index));
  }
}
