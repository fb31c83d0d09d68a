// eslint over the APPSYNC_JS resolvers with the official AppSync rules
// (`make lint-resolvers`; tests/resolvers/test_lint.py runs it too).
// `recommended` = `base` plus the rules that need type information (recursion,
// methods the runtime lacks), so the resolvers are parsed as a TypeScript
// project of JavaScript files: tests/resolvers/tsconfig.json.
import appsync from '@aws-appsync/eslint-plugin';

export default [
    {
        ...appsync.configs.recommended,
        files: ['modules/api/resolvers/**/*.js'],
        languageOptions: {
            ...appsync.configs.recommended.languageOptions,
            sourceType: 'module',
            parserOptions: {
                project: 'tests/resolvers/tsconfig.json',
                tsconfigRootDir: import.meta.dirname,
            },
        },
    },
];
