// Types of the generated standalone validators (see scripts/write-schemas.ts).
import type { ValidateFunction } from 'ajv/dist/2020.js';
export declare const prompt: ValidateFunction;
export declare const feature: ValidateFunction;
export declare const catalog: ValidateFunction;
export declare const budget: ValidateFunction;
export declare const experiment: ValidateFunction;
export declare const config: ValidateFunction;
export declare const usageLog: ValidateFunction;
