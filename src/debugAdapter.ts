// The stdio debug adapter's entry point (`node dist/debugAdapter.js`).
