// esbuild bundles imported CSS into app.css; for the typechecker an imported stylesheet is a side effect only.
declare module '*.css';
