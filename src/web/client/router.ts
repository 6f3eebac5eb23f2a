// Hash routes (#/history): the server serves one page; no server route per view, and a reload keeps the view.
import { useEffect, useState } from 'preact/hooks';

export function currentRoute(): string {
  const hash = location.hash.replace(/^#/, '');
  const path = hash.split('?')[0] ?? '';
  return path === '' ? '/' : path;
}

export function useRoute(): string {
  const [route, setRoute] = useState(currentRoute());
  useEffect(() => {
    const update = (): void => {
      setRoute(currentRoute());
    };
    addEventListener('hashchange', update);
    return () => {
      removeEventListener('hashchange', update);
    };
  }, []);
  return route;
}
