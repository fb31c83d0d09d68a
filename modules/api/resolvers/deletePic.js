/**
 * deleteAIPic step 2 (DynamoDB, pics table): deletes the caller's final picture with one
 * conditional write (owner and a final status checked again). The stream record of the
 * removal has the cleanup Lambda delete every version of the picture's objects and the
 * publish Lambda tell the subscribers. The day's quota counter is left alone: deleting
 * gives no picture back. Answers the picture as it was, with deletedAt.
 */
import { util } from '@aws-appsync/utils';

const FINAL_STATUSES = ['COMPLETED', 'FAILED', 'CANCELED'];

function refuseNotFinal() {
    util.error(
        'The picture is still being made; cancel it first, or wait until it is final',
        'PictureNotFinal',
    );
}

export function request(ctx) {
    const pic = ctx.prev.result;
    if (!FINAL_STATUSES.includes(pic.completionStatus)) {
        refuseNotFinal();
    }
    return {
        operation: 'DeleteItem',
        key: util.dynamodb.toMapValues({ id: pic.id }),
        condition: {
            expression: '#owner = :owner AND #status IN (:completed, :failed, :canceled)',
            expressionNames: { '#owner': 'owner', '#status': 'completionStatus' },
            expressionValues: util.dynamodb.toMapValues({
                ':owner': ctx.identity.sub,
                ':completed': 'COMPLETED',
                ':failed': 'FAILED',
                ':canceled': 'CANCELED',
            }),
        },
    };
}

export function response(ctx) {
    if (ctx.error) {
        if (ctx.error.type === 'DynamoDB:ConditionalCheckFailedException') {
            util.error(`You have no picture with id ${ctx.args.id}`, 'NotFound');
        }
        util.error(ctx.error.message, ctx.error.type);
    }
    return { ...ctx.result, deletedAt: util.time.nowISO8601() };
}
