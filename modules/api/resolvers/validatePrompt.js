/**
 * createAIPic step 1 (NONE data source): trims and checks the prompt and the
 * optional generation settings; a bad value stops the pipeline before any write.
 * The result (and ctx.stash.prompt / ctx.stash.settings) carries the clean values.
 *
 * Text is judged by code point, not by UTF-16 unit: lengths count characters as a
 * user does (an emoji is one), and the runtime has no regular expressions, so the
 * character classes below are code point ranges.
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
// Control characters a prompt may contain: tab, line feed, carriage return.
const ALLOWED_CONTROLS = [0x09, 0x0a, 0x0d];
// Code points that show nothing on their own: controls (Cc), format characters (Cf),
// spaces and separators (Zs, Zl, Zp) and the other default-ignorable fillers. A
// prompt must have at least one code point outside these; inside a visible prompt
// they may stay (a zero-width joiner builds emoji, a non-joiner spells Persian).
const INVISIBLE_RANGES = [
    [0x0000, 0x0020], // C0 controls, space
    [0x007f, 0x00a0], // delete, C1 controls, no-break space
    [0x00ad, 0x00ad], // soft hyphen
    [0x034f, 0x034f], // combining grapheme joiner
    [0x061c, 0x061c], // Arabic letter mark
    [0x115f, 0x1160], // Hangul choseong/jungseong fillers
    [0x1680, 0x1680], // Ogham space mark
    [0x17b4, 0x17b5], // Khmer inherent vowels
    [0x180b, 0x180f], // Mongolian free variation selectors, vowel separator
    [0x2000, 0x200f], // en quad … hair space, zero-width space/non-joiner/joiner, LRM, RLM
    [0x2028, 0x202f], // line and paragraph separators, bidi embeddings, narrow no-break space
    [0x205f, 0x206f], // medium mathematical space, word joiner, invisible operators, bidi isolates
    [0x2800, 0x2800], // Braille pattern blank
    [0x3000, 0x3000], // ideographic space
    [0x3164, 0x3164], // Hangul filler
    [0xfe00, 0xfe0f], // variation selectors
    [0xfeff, 0xfeff], // zero-width no-break space (byte order mark)
    [0xffa0, 0xffa0], // halfwidth Hangul filler
    [0xfff0, 0xfffb], // unassigned specials, interlinear annotation controls
    [0x1bca0, 0x1bca3], // shorthand format controls
    [0x1d173, 0x1d17a], // musical symbol format controls
    [0xe0000, 0xe0fff], // tags, variation selectors supplement
];

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

// The code points of text; a lone surrogate (not a character) comes back as -1.
function codePoints(text) {
    const points = [];
    let pendingHigh = -1;
    for (const unit of text.split('')) {
        const code = unit.codePointAt(0);
        const isLow = code >= 0xdc00 && code <= 0xdfff;
        if (pendingHigh >= 0 && isLow) {
            points.push((pendingHigh - 0xd800) * 0x400 + (code - 0xdc00) + 0x10000);
            pendingHigh = -1;
        } else {
            if (pendingHigh >= 0) {
                points.push(-1);
            }
            pendingHigh = code >= 0xd800 && code <= 0xdbff ? code : -1;
            if (pendingHigh < 0) {
                points.push(isLow ? -1 : code);
            }
        }
    }
    if (pendingHigh >= 0) {
        points.push(-1);
    }
    return points;
}

function isControl(point) {
    return (point <= 0x1f || (point >= 0x7f && point <= 0x9f)) && !ALLOWED_CONTROLS.includes(point);
}

function isInvisible(point) {
    return INVISIBLE_RANGES.some((range) => point >= range[0] && point <= range[1]);
}

// Trimmed text that is at most maxLength characters, has no control character and no
// lone surrogate; '' when nothing visible is left. A bad value stops the pipeline.
function cleanText(field, label, rawText, maxLength) {
    const text = typeof rawText === 'string' ? rawText.trim() : '';
    // Each character is one or two UTF-16 units: past 2 × the limit no count is needed.
    if (text.length > 2 * maxLength) {
        reject(field, `${label} must be at most ${maxLength} characters`);
    }
    const points = codePoints(text);
    if (points.includes(-1)) {
        reject(field, `${label} contains an invalid character (a lone surrogate)`);
    }
    if (points.some(isControl)) {
        reject(field, `${label} must not contain control characters (tab and newline are fine)`);
    }
    if (points.length > maxLength) {
        reject(field, `${label} must be at most ${maxLength} characters (got ${points.length})`);
    }
    return points.every(isInvisible) ? '' : text;
}

function cleanPrompt(rawPrompt) {
    const prompt = typeof rawPrompt === 'string' ? rawPrompt.trim() : '';
    if (prompt.length === 0) {
        reject('prompt', 'The prompt must not be empty');
    }
    const visible = cleanText('prompt', 'The prompt', prompt, MAX_PROMPT_LENGTH);
    if (visible.length === 0) {
        reject('prompt', 'The prompt must contain at least one visible character');
    }
    return visible;
}

// Returns only the settings the caller gave (null/blank values dropped), or null when none.
function cleanSettings(rawSettings) {
    if (isAbsent(rawSettings)) {
        return null;
    }
    const settings = {};
    // Blank or invisible-only: dropped, like an absent one.
    const negativePrompt = cleanText(
        'settings.negativePrompt',
        'settings.negativePrompt',
        rawSettings.negativePrompt,
        MAX_NEGATIVE_PROMPT_LENGTH,
    );
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
