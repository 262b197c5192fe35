/**
 * Why a create or update found unfinished at start fails: the controller restarted after it
 * sent the request and before it recorded the answer, so it cannot know what the broker did.
 * Instances and bindings say the same thing.
 */
export const UNKNOWN_OUTCOME = 'The controller restarted before the service broker answered; the outcome is unknown.';
