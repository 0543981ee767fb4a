declare module "mvdan-sh" {
  const sh: unknown;
  export default sh;
}
