/** Every metric of the worker starts with this (issue 11). */
export const PREFIX = 'sheet_archiver_';
