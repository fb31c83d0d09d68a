/**
 * cancelAIPic step 2 (DynamoDB, pics table): moves the caller's picture that is not
 * final yet to CANCELED, with one conditional write (owner and status checked again, so
 * a picture that became final meanwhile keeps its outcome). The write removes
 * pendingPartition like every final write (lambda_src/aipic/pics.py). The Replicate run
 * is stopped by the cleanup Lambda, which the stream record of this write triggers; a
 * picture with no prediction yet is skipped by generate, or its prediction cancelled
 * by generate when it comes back.
 */
import { util } from '@aws-appsync/utils';

const FINAL_STATUSES = ['COMPLETED', 'FAILED', 'CANCELED'];

function refuseFinal(status) {
    util.error(
        `The picture is already ${status}; only a picture still being made can be cancelled`,
        'PictureAlreadyFinal',
    );
}

export function request(ctx) {
    const pic = ctx.prev.result;
    if (FINAL_STATUSES.includes(pic.completionStatus)) {
        refuseFinal(pic.completionStatus);
    }
    return {
        operation: 'UpdateItem',
        key: util.dynamodb.toMapValues({ id: pic.id }),
        update: {
            expression: 'SET #status = :canceled, #updatedAt = :now REMOVE #pending',
            expressionNames: {
                '#status': 'completionStatus',
                '#updatedAt': 'updatedAt',
                '#pending': 'pendingPartition',
            },
            expressionValues: util.dynamodb.toMapValues({
                ':canceled': 'CANCELED',
                ':now': util.time.nowISO8601(),
            }),
        },
        condition: {
            expression: '#owner = :owner AND #status IN (:started, :processing)',
            expressionNames: { '#owner': 'owner', '#status': 'completionStatus' },
            expressionValues: util.dynamodb.toMapValues({
                ':owner': ctx.identity.sub,
                ':started': 'STARTED',
                ':processing': 'PROCESSING',
            }),
        },
    };
}

export function response(ctx) {
    if (ctx.error) {
        if (ctx.error.type === 'DynamoDB:ConditionalCheckFailedException') {
            refuseFinal('final');
        }
        util.error(ctx.error.message, ctx.error.type);
    }
    return ctx.result;
}
