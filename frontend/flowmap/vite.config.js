// Build of the flow map component: one self-contained folder served by Streamlit
// (relative paths, no CDN, no web font, no source map). The bundle and its style sheet are named
// by their content's hash: the server lets the browser keep them (observatoire/ui/serve.py), so a
// visit neither downloads nor compiles the 950-kB bundle again; index.html is always asked anew.
import {defineConfig} from 'vite';

export default defineConfig({
  base: './',
  build: {
    outDir: '../../observatoire/ui/components/flowmap',
    emptyOutDir: true,
    sourcemap: false,
    target: 'es2020',
    chunkSizeWarningLimit: 4000,
    rollupOptions: {output: {entryFileNames: 'assets/flowmap-[hash].js', assetFileNames: 'assets/[name]-[hash][extname]'}},
  },
});
