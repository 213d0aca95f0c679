/** Safety settings sent on every translated (non-Gemini-native) request: the gateway does not filter. */
export const defaultSafetySettings: ReadonlyArray<{ category: string; threshold: string }> = Object.freeze(
  [
    'HARM_CATEGORY_HARASSMENT',
    'HARM_CATEGORY_HATE_SPEECH',
    'HARM_CATEGORY_SEXUALLY_EXPLICIT',
    'HARM_CATEGORY_DANGEROUS_CONTENT',
  ].map((category) => Object.freeze({ category, threshold: 'OFF' })),
);

/**
 * Sentinel v1internal accepts in place of a thought signature on a historical Gemini function call whose real
 * signature the client could not send back.
 */
export const skipSignatureSentinel = 'skip_thought_signature_validator';
