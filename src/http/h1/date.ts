// The Date header's value, formatted once a second rather than once an answer.

let second = -1;
let text = '';

export function httpDate(): string {
  const now = Date.now();
  const s = Math.floor(now / 1000);
  if (s !== second) {
    second = s;
    text = new Date(s * 1000).toUTCString();
  }
  return text;
}
