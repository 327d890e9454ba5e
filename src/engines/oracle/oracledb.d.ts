/** The little of node-oracledb (Thin mode) that snaplog uses; the package ships no types. */
declare module 'oracledb' {
  interface ConnectionOptions {
    user: string;
    password: string;
    connectString: string;
    privilege?: number;
  }
  const oracledb: {
    getConnection(options: ConnectionOptions): Promise<unknown>;
    readonly OUT_FORMAT_OBJECT: number;
    readonly SYSDBA: number;
    readonly SYSBACKUP: number;
  };
  export default oracledb;
}
