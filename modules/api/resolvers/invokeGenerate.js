/**
 * createAIPic step 4 (Lambda data source = the generate function): starts the
 * generation asynchronously (invocationType Event), so the mutation returns at
 * once; the generate event is {id, owner, prompt, settings} (settings may be {}).
 * Returns the stored item it received from putPic.
 */
import { util } from '@aws-appsync/utils';

export function request(ctx) {
    const pic = ctx.prev.result;
    return {
        operation: 'Invoke',
        invocationType: 'Event',
        payload: {
            id: pic.id,
            owner: pic.owner,
            prompt: pic.prompt,
            settings: pic.settings ? pic.settings : {},
        },
    };
}

export function response(ctx) {
    if (ctx.error) {
        util.error(ctx.error.message, ctx.error.type);
    }
    // An Event invocation has no result: pass the stored item on.
    return ctx.prev.result;
}
