// Placeholder until its issue lands; replaced by the real handler.
export const handler = async (): Promise<void> => {};
