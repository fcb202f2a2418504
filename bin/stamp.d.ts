export declare const BUILD_STAMP: string;
export interface BuildStamp {
  newest: number;
  files: string[];
}
export declare function sourceStamp(root: string): BuildStamp;
export declare function distIsFresh(root: string): boolean;
