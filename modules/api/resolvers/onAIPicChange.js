/**
 * Subscription.onAIPicChange (NONE data source): sets an enhanced subscription filter
 * so a signed-in user receives only their own pictures' changes, as `subscribe` does.
 */
import { util, extensions } from '@aws-appsync/utils';

export function request() {
    return { payload: null };
}

export function response(ctx) {
    if (!ctx.identity || !ctx.identity.sub) {
        util.unauthorized();
    }
    extensions.setSubscriptionFilter(
        util.transform.toSubscriptionFilter({ owner: { eq: ctx.identity.sub } }),
    );
    return null;
}
