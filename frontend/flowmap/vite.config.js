// Build of the flow map component: one self-contained folder served by Streamlit
// (relative paths, no CDN, no web font, no source map).
import {defineConfig} from 'vite';

export default defineConfig({
  base: './',
  build: {
    outDir: '../../observatoire/ui/components/flowmap',
    emptyOutDir: true,
    sourcemap: false,
    target: 'es2020',
    chunkSizeWarningLimit: 4000,
    rollupOptions: {output: {entryFileNames: 'assets/flowmap.js', assetFileNames: 'assets/[name][extname]'}},
  },
});
