// Express 4 is installed under the alias `express4` for the adapter tests;
// its API as used there matches Express 5's types.
declare module 'express4' {
  import express from 'express';
  export default express;
}
