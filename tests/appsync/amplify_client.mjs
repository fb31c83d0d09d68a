// The official JavaScript client against the local AppSync endpoint: aws-amplify v6 in
// Node, configured from Amplify Gen 2 outputs (what `make up` writes), signs a user in
// with the emulator's Cognito, subscribes, creates a picture and prints what it sees as
// JSON lines: {"event": "subscribed"}, {"event": "created", "pic": ...},
// {"event": "data", "value": ...} ... then exits after EXPECTED_EVENTS events.
//
// Usage: node amplify_client.mjs '<json: outputs, userPoolEndpoint, username, password,
//                                  expectedEvents, timeoutMs>'
// Node 20 has no global WebSocket: Amplify gets the `ws` package's.
import WebSocket from 'ws';

globalThis.WebSocket = WebSocket;

const { Amplify } = await import('aws-amplify');
const { signIn } = await import('aws-amplify/auth');
const { generateClient, CONNECTION_STATE_CHANGE, ConnectionState } = await import('aws-amplify/api');
const { Hub } = await import('aws-amplify/utils');

const options = JSON.parse(process.argv[2]);
const emit = (line) => process.stdout.write(`${JSON.stringify(line)}\n`);
const deadline = setTimeout(() => {
    emit({ event: 'timeout' });
    process.exit(2);
}, options.timeoutMs);

Amplify.configure(options.outputs);
const config = Amplify.getConfig();
Amplify.configure({
    ...config,
    Auth: { Cognito: { ...config.Auth.Cognito, userPoolEndpoint: options.userPoolEndpoint } },
});

const signedIn = await signIn({
    username: options.username,
    password: options.password,
    options: { authFlowType: 'USER_PASSWORD_AUTH' },
});
emit({ event: 'signed-in', isSignedIn: signedIn.isSignedIn });

const client = generateClient();
let received = 0;
let lastStatus = null;
const connected = new Promise((resolve) => {
    Hub.listen('api', ({ payload }) => {
        if (payload.event === CONNECTION_STATE_CHANGE && payload.data.connectionState === ConnectionState.Connected) {
            resolve();
        }
    });
});
const subscription = client
    .graphql({ query: 'subscription OnPic { subscribe { owner data } }' })
    .subscribe({
        next: ({ data }) => {
            // A progress step repeats its picture's status: report status changes only.
            const status = JSON.parse(data.subscribe.data).completionStatus;
            if (status === lastStatus) {
                return;
            }
            lastStatus = status;
            emit({ event: 'data', value: data.subscribe });
            received += 1;
            if (received === options.expectedEvents) {
                subscription.unsubscribe();
                clearTimeout(deadline);
                emit({ event: 'done' });
                // Amplify keeps the socket briefly for reuse; nothing else is pending.
                setTimeout(() => process.exit(0), 100);
            }
        },
        error: (error) => {
            emit({ event: 'error', error: JSON.stringify(error) });
            process.exit(3);
        },
    });
await connected;
emit({ event: 'subscribed' });

const created = await client.graphql({
    query: 'mutation Create($prompt: String!) { createAIPic(prompt: $prompt) { id owner prompt completionStatus } }',
    variables: { prompt: options.prompt },
});
emit({ event: 'created', pic: created.data.createAIPic });
