/**
 * createAIPic step 1 (NONE data source): trims and checks the prompt and the
 * optional generation settings; a bad value stops the pipeline before any write.
 * The result (and ctx.stash.prompt / ctx.stash.settings) carries the clean values.
 */
import { util } from '@aws-appsync/utils';

const MAX_PROMPT_LENGTH = 1000;
const MAX_NEGATIVE_PROMPT_LENGTH = 1000;
// Stable Diffusion works on 64-pixel latent blocks; larger images exhaust the model's memory.
const MIN_DIMENSION = 256;
const MAX_DIMENSION = 1024;
const DIMENSION_STEP = 64;
const MIN_INFERENCE_STEPS = 1;
const MAX_INFERENCE_STEPS = 50;
const MIN_GUIDANCE_SCALE = 1;
const MAX_GUIDANCE_SCALE = 20;
// GraphQL Int is a signed 32-bit integer, so that is the seed's upper bound.
const MAX_SEED = 2147483647;

function reject(field, message) {
    util.error(message, 'ValidationError', null, { field: field });
}

function isAbsent(value) {
    return value === null || value === undefined;
}

function checkIntegerRange(settings, field, min, max) {
    const value = settings[field];
    if (isAbsent(value)) {
        return;
    }
    if (!Number.isInteger(value) || value < min || value > max) {
        reject(`settings.${field}`, `settings.${field} must be an integer from ${min} to ${max}`);
    }
}

function checkDimension(settings, field) {
    const value = settings[field];
    if (isAbsent(value)) {
        return;
    }
    if (
        !Number.isInteger(value) ||
        value < MIN_DIMENSION ||
        value > MAX_DIMENSION ||
        value % DIMENSION_STEP !== 0
    ) {
        reject(
            `settings.${field}`,
            `settings.${field} must be a multiple of ${DIMENSION_STEP} from ${MIN_DIMENSION} to ${MAX_DIMENSION}`,
        );
    }
}

function cleanPrompt(rawPrompt) {
    const prompt = typeof rawPrompt === 'string' ? rawPrompt.trim() : '';
    if (prompt.length === 0) {
        reject('prompt', 'The prompt must not be empty');
    }
    if (prompt.length > MAX_PROMPT_LENGTH) {
        reject(
            'prompt',
            `The prompt must be at most ${MAX_PROMPT_LENGTH} characters (got ${prompt.length})`,
        );
    }
    return prompt;
}

// Returns only the settings the caller gave (null/blank values dropped), or null when none.
function cleanSettings(rawSettings) {
    if (isAbsent(rawSettings)) {
        return null;
    }
    const settings = {};
    const negativePrompt =
        typeof rawSettings.negativePrompt === 'string' ? rawSettings.negativePrompt.trim() : '';
    if (negativePrompt.length > MAX_NEGATIVE_PROMPT_LENGTH) {
        reject(
            'settings.negativePrompt',
            `settings.negativePrompt must be at most ${MAX_NEGATIVE_PROMPT_LENGTH} characters`,
        );
    }
    if (negativePrompt.length > 0) {
        settings.negativePrompt = negativePrompt;
    }
    checkDimension(rawSettings, 'width');
    checkDimension(rawSettings, 'height');
    checkIntegerRange(rawSettings, 'numInferenceSteps', MIN_INFERENCE_STEPS, MAX_INFERENCE_STEPS);
    checkIntegerRange(rawSettings, 'seed', 0, MAX_SEED);
    const guidanceScale = rawSettings.guidanceScale;
    if (
        !isAbsent(guidanceScale) &&
        (typeof guidanceScale !== 'number' ||
            !(guidanceScale >= MIN_GUIDANCE_SCALE && guidanceScale <= MAX_GUIDANCE_SCALE))
    ) {
        reject(
            'settings.guidanceScale',
            `settings.guidanceScale must be a number from ${MIN_GUIDANCE_SCALE} to ${MAX_GUIDANCE_SCALE}`,
        );
    }
    for (const field of ['width', 'height', 'numInferenceSteps', 'guidanceScale', 'seed']) {
        if (!isAbsent(rawSettings[field])) {
            settings[field] = rawSettings[field];
        }
    }
    return Object.keys(settings).length > 0 ? settings : null;
}

export function request(ctx) {
    const prompt = cleanPrompt(ctx.args.prompt);
    const settings = cleanSettings(ctx.args.settings);
    ctx.stash.prompt = prompt;
    ctx.stash.settings = settings;
    return { payload: { prompt: prompt, settings: settings } };
}

export function response(ctx) {
    return ctx.result;
}
