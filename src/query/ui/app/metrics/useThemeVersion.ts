// Charts and graphs read the theme's colours when drawn: a number that changes when the theme does (main.tsx
// dispatches 'otlp-theme' on window), to put in their effects' dependencies.
import { useEffect, useState } from 'preact/hooks';

export function useThemeVersion(): number {
  const [version, setVersion] = useState(0);
  useEffect(() => {
    const bump = () => setVersion((v) => v + 1);
    addEventListener('otlp-theme', bump);
    return () => removeEventListener('otlp-theme', bump);
  }, []);
  return version;
}
