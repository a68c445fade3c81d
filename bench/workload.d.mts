export declare const TRIAGE_COMMANDS: string[];
