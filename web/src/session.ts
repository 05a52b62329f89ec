// The admin key lives only in sessionStorage: gone when the tab closes, never in a cookie
// (so no CSRF surface), never written into the page.

const KEY = 'treaty.adminKey';

export const session = {
  key: (): string | null => sessionStorage.getItem(KEY),
  set: (key: string): void => sessionStorage.setItem(KEY, key),
  clear: (): void => sessionStorage.removeItem(KEY),
};

/** Why the login screen is showing, for a one-line notice there ("your session ended"). */
let notice: string | null = null;
export const loginNotice = {
  take: (): string | null => {
    const n = notice;
    notice = null;
    return n;
  },
  set: (n: string): void => {
    notice = n;
  },
};
