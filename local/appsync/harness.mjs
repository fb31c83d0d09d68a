// Evaluates APPSYNC_JS resolver handlers under Node, the way AppSync calls them.
//
// Reads JSON lines on stdin, one evaluation each, and answers each with one JSON
// line on stdout (so one process serves a whole test session or the demo):
//   in:  {"file": "<path>", "fn": "request"|"response", "ctx": {...},
//         "nowEpochMillis": <optional fixed clock>, "autoIds": [<optional ids for util.autoId>]}
//   out: {"result": ..., "stash": {...}, "effects": {...}}            handler returned
//        {"error": {"message", "type", "data", "errorInfo"}, ...}     util.error / unauthorized
//        {"earlyReturn": ..., ...}                                    runtime.earlyReturn
// `effects` records what the handler did besides returning: the subscription
// filter it set, errors it appended, how many ids it drew.
// Usage: echo '{"file": ..., "fn": ..., "ctx": ...}' | node local/appsync/harness.mjs
import { register } from 'node:module';
import { createInterface } from 'node:readline';
import { statSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { pathToFileURL } from 'node:url';

register('./appsync-utils/loader.mjs', import.meta.url);
const { ResolverSignal, testRuntime } = await import('./appsync-utils/index.mjs');

// Build the ctx AppSync passes: `args` is an alias of `arguments`, and every
// documented field exists even when the caller leaves it out.
function appSyncContext(ctx) {
    const args = ctx.arguments ?? ctx.args ?? {};
    return {
        arguments: args,
        args,
        identity: ctx.identity ?? null,
        source: ctx.source ?? null,
        stash: ctx.stash ?? {},
        prev: ctx.prev ?? { result: null },
        result: ctx.result ?? null,
        error: ctx.error ?? null,
        request: ctx.request ?? { headers: {}, domainName: null },
        info: ctx.info ?? { fieldName: null, parentTypeName: null, variables: {}, selectionSetList: [] },
        env: ctx.env ?? {},
    };
}

// A changed file is re-imported, so a long-lived harness always runs the code on disk.
async function loadResolver(file) {
    const path = resolvePath(file);
    const url = pathToFileURL(path);
    url.searchParams.set('mtime', String(statSync(path).mtimeMs));
    return import(url.href);
}

// AppSync sends and receives JSON: undefined disappears, objects are copied.
function asJson(value) {
    return value === undefined ? null : JSON.parse(JSON.stringify(value));
}

async function evaluate(message) {
    const { file, fn, ctx = {}, nowEpochMillis = null, autoIds = [] } = message;
    if (fn !== 'request' && fn !== 'response') {
        throw new Error(`fn must be "request" or "response", not ${JSON.stringify(fn)}`);
    }
    const resolver = await loadResolver(file);
    if (typeof resolver[fn] !== 'function') {
        throw new Error(`${file} does not export a ${fn} function`);
    }
    testRuntime.reset({ nowEpochMillis, autoIds });
    const context = appSyncContext(asJson(ctx));
    const outcome = {};
    try {
        outcome.result = asJson(resolver[fn](context));
    } catch (thrown) {
        if (thrown instanceof ResolverSignal && thrown.kind === 'earlyReturn') {
            outcome.earlyReturn = asJson(thrown.details.value);
        } else if (thrown instanceof ResolverSignal) {
            outcome.error = thrown.details;
        } else {
            // A bug in the resolver: AppSync reports it as an error of the request.
            outcome.error = { message: String(thrown && thrown.message), type: 'RuntimeError', data: null, errorInfo: { stack: String(thrown && thrown.stack) } };
        }
    }
    outcome.stash = asJson(context.stash);
    outcome.effects = testRuntime.effects();
    return outcome;
}

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
    if (line.trim() === '') continue;
    let answer;
    try {
        answer = await evaluate(JSON.parse(line));
    } catch (problem) {
        // The evaluation itself could not run (bad file name, bad JSON): not a resolver outcome.
        answer = { harnessError: String(problem && problem.stack ? problem.stack : problem) };
    }
    process.stdout.write(`${JSON.stringify(answer)}\n`);
}
