// Test implementation of the APPSYNC_JS runtime module '@aws-appsync/utils',
// following AppSync's resolver utility reference: only what is documented, with
// the documented shapes (util.error throws; DynamoDB numbers are JSON numbers;
// toSubscriptionFilter builds {filterGroup: [{filters: [...]}]}).
// The harness drives it through `testRuntime` (clock, ids, recorded effects).
import { randomUUID } from 'node:crypto';

const state = {
    nowEpochMillis: null,
    autoIds: [],
    autoIdsUsed: 0,
    appendedErrors: [],
    subscriptionFilter: undefined,
    subscriptionInvalidations: [],
};

// Thrown by util.error / util.unauthorized / runtime.earlyReturn; the harness
// turns it into the evaluation's outcome (never seen by resolver code: no try/catch there).
export class ResolverSignal extends Error {
    constructor(kind, message, details) {
        super(message);
        this.kind = kind;
        this.details = details;
    }
}

export const testRuntime = {
    reset({ nowEpochMillis = null, autoIds = [] } = {}) {
        state.nowEpochMillis = nowEpochMillis;
        state.autoIds = [...autoIds];
        state.autoIdsUsed = 0;
        state.appendedErrors = [];
        state.subscriptionFilter = undefined;
        state.subscriptionInvalidations = [];
    },
    effects() {
        const effects = { autoIdsUsed: state.autoIdsUsed };
        if (state.appendedErrors.length > 0) effects.appendedErrors = state.appendedErrors;
        if (state.subscriptionFilter !== undefined) effects.subscriptionFilter = state.subscriptionFilter;
        if (state.subscriptionInvalidations.length > 0) {
            effects.subscriptionInvalidations = state.subscriptionInvalidations;
        }
        return effects;
    },
};

function nowMillis() {
    return state.nowEpochMillis === null ? Date.now() : state.nowEpochMillis;
}

function errorDetails(message, errorType, data, errorInfo) {
    return {
        message: String(message),
        type: errorType === undefined ? null : errorType,
        data: data === undefined ? null : data,
        errorInfo: errorInfo === undefined ? null : errorInfo,
    };
}

// --- DynamoDB attribute values (AppSync's JS form: N holds a JSON number) ---

export function toDynamoDB(value) {
    if (value === null || value === undefined) return { NULL: true };
    if (typeof value === 'string') return { S: value };
    if (typeof value === 'number') return { N: value };
    if (typeof value === 'boolean') return { BOOL: value };
    if (Array.isArray(value)) return { L: value.map(toDynamoDB) };
    if (typeof value === 'object') return { M: toMapValues(value) };
    throw new TypeError(`util.dynamodb.toDynamoDB cannot convert a ${typeof value}`);
}

export function toMapValues(object) {
    const map = {};
    for (const [key, value] of Object.entries(object)) {
        // Like JSON serialisation, an undefined property is not sent.
        if (value !== undefined) map[key] = toDynamoDB(value);
    }
    return map;
}

// --- util.transform.toSubscriptionFilter ---

const FILTER_OPERATORS = new Set([
    'eq', 'ne', 'le', 'lt', 'ge', 'gt', 'contains', 'notContains', 'beginsWith',
    'in', 'notIn', 'between', 'attributeExists',
]);

function filtersOf(filterObject) {
    const filters = [];
    for (const [fieldName, condition] of Object.entries(filterObject)) {
        if (condition === null || typeof condition !== 'object' || Array.isArray(condition)) {
            throw new ResolverSignal('error', `Invalid filter for field ${fieldName}`, errorDetails(
                `Invalid filter for field ${fieldName}`, 'FilterError'));
        }
        for (const [operator, value] of Object.entries(condition)) {
            if (!FILTER_OPERATORS.has(operator)) {
                throw new ResolverSignal('error', `Unsupported filter operator ${operator}`, errorDetails(
                    `Unsupported filter operator ${operator}`, 'FilterError'));
            }
            filters.push({ fieldName, operator, value });
        }
    }
    return filters;
}

// The documented forms: field conditions (one group, all must hold), or an
// `or` list (one group per branch). Other combinations are not emulated.
function toSubscriptionFilter(filterObject, ignoredFields = []) {
    const visible = Object.fromEntries(
        Object.entries(filterObject).filter(([field]) => !ignoredFields.includes(field)),
    );
    if (Object.hasOwn(visible, 'or')) {
        if (!Array.isArray(visible.or) || Object.keys(visible).length !== 1) {
            throw new Error('test runtime: `or` must be a list and the only key of the filter');
        }
        return { filterGroup: visible.or.map((branch) => ({ filters: filtersOf(branch) })) };
    }
    return { filterGroup: [{ filters: filtersOf(visible) }] };
}

// --- util ---

export const util = {
    error(message, errorType, data, errorInfo) {
        const details = errorDetails(message, errorType, data, errorInfo);
        throw new ResolverSignal('error', details.message, details);
    },
    appendError(message, errorType, data, errorInfo) {
        state.appendedErrors.push(errorDetails(message, errorType, data, errorInfo));
    },
    unauthorized() {
        const message = 'Unauthorized';
        throw new ResolverSignal('error', message, errorDetails(message, 'Unauthorized'));
    },
    autoId() {
        state.autoIdsUsed += 1;
        return state.autoIds.length > 0 ? state.autoIds.shift() : randomUUID();
    },
    isNull(value) {
        return value === null || value === undefined;
    },
    isNullOrEmpty(value) {
        return value === null || value === undefined || value === '';
    },
    isNullOrBlank(value) {
        return value === null || value === undefined || String(value).trim() === '';
    },
    defaultIfNull(value, fallback) {
        return value === null || value === undefined ? fallback : value;
    },
    time: {
        nowISO8601() {
            return new Date(nowMillis()).toISOString();
        },
        nowEpochSeconds() {
            return Math.floor(nowMillis() / 1000);
        },
        nowEpochMilliSeconds() {
            return nowMillis();
        },
        epochMilliSecondsToISO8601(epochMillis) {
            return new Date(epochMillis).toISOString();
        },
        epochMilliSecondsToSeconds(epochMillis) {
            return Math.floor(epochMillis / 1000);
        },
        parseISO8601ToEpochMilliSeconds(text) {
            const millis = Date.parse(text);
            if (Number.isNaN(millis)) {
                throw new ResolverSignal('error', `Invalid ISO-8601 date ${text}`, errorDetails(
                    `Invalid ISO-8601 date ${text}`, 'DateTimeParseError'));
            }
            return millis;
        },
    },
    dynamodb: {
        toDynamoDB,
        toMapValues,
        toDynamoDBJson(value) {
            return JSON.stringify(toDynamoDB(value));
        },
        toMapValuesJson(object) {
            return JSON.stringify(toMapValues(object));
        },
        toString(value) {
            return { S: value };
        },
        toNumber(value) {
            return { N: value };
        },
    },
    transform: {
        toSubscriptionFilter,
    },
};

export const extensions = {
    setSubscriptionFilter(filter) {
        state.subscriptionFilter = filter;
    },
    invalidateSubscriptions(invalidation) {
        state.subscriptionInvalidations.push(invalidation);
    },
};

export const runtime = {
    earlyReturn(value) {
        throw new ResolverSignal('earlyReturn', 'early return', { value: value === undefined ? null : value });
    },
};
