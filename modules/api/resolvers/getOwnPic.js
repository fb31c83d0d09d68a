/**
 * cancelAIPic / deleteAIPic step 1 (DynamoDB, pics table): reads the picture (strongly
 * consistent) and stops the pipeline unless the caller owns it. An unknown id, another
 * user's picture and a quota counter get the same NotFound, so no answer tells whether
 * someone else's picture exists. The picture is in ctx.prev.result for the next step.
 */
import { util } from '@aws-appsync/utils';

export function request(ctx) {
    return {
        operation: 'GetItem',
        key: util.dynamodb.toMapValues({ id: ctx.args.id }),
        consistentRead: true,
    };
}

export function response(ctx) {
    if (ctx.error) {
        util.error(ctx.error.message, ctx.error.type);
    }
    const pic = ctx.result;
    if (!pic || !pic.completionStatus || pic.owner !== ctx.identity.sub) {
        util.error(`You have no picture with id ${ctx.args.id}`, 'NotFound');
    }
    return pic;
}
