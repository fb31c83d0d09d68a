/**
 * Mutation.cancelAIPic and Mutation.deleteAIPic: pipeline resolver (before/after step).
 * Pipeline: getOwnPic (DynamoDB) -> cancelPic | deletePic (DynamoDB) -> the picture.
 * Only a signed-in user reaches the steps; getOwnPic refuses anyone else's picture.
 */
import { util } from '@aws-appsync/utils';

export function request(ctx) {
    if (!ctx.identity || !ctx.identity.sub) {
        util.unauthorized();
    }
    return {};
}

export function response(ctx) {
    return ctx.prev.result;
}
