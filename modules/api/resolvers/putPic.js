/**
 * createAIPic step 3 (DynamoDB, pics table): writes the new picture as STARTED,
 * owned by the caller. The condition makes the write a create, never an overwrite.
 * pendingPartition puts it in the table's sparse pending index until a final
 * status removes it (lambda_src/aipic/pics.py): the sweeper fails what is overdue.
 */
import { util } from '@aws-appsync/utils';

export function request(ctx) {
    const now = util.time.nowISO8601();
    const item = {
        owner: ctx.identity.sub,
        prompt: ctx.stash.prompt,
        completionStatus: 'STARTED',
        pendingPartition: 'PENDING',
        createdAt: now,
        updatedAt: now,
    };
    if (ctx.stash.settings) {
        item.settings = ctx.stash.settings;
    }
    return {
        operation: 'PutItem',
        key: util.dynamodb.toMapValues({ id: util.autoId() }),
        attributeValues: util.dynamodb.toMapValues(item),
        condition: { expression: 'attribute_not_exists(id)' },
    };
}

export function response(ctx) {
    if (ctx.error) {
        util.error(ctx.error.message, ctx.error.type);
    }
    return ctx.result;
}
