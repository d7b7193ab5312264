// The example app of examples/cdk-app (src/lib.rs) written in plain JavaScript against
// aws-cdk-lib, for the synth-time comparison in BENCHMARKS.md. Keep the two identical.
//
// usage: NODE_PATH=$TOOLS_HOME/jsii/node_modules node --preserve-symlinks app.js OUTDIR
const { App, Aspects, CfnResource, Duration, RemovalPolicy, Stack } = require('aws-cdk-lib');
const dynamodb = require('aws-cdk-lib/aws-dynamodb');
const lambda = require('aws-cdk-lib/aws-lambda');
const sqs = require('aws-cdk-lib/aws-sqs');

// Makes every CloudFormation resource deletable with its stack (a throw-away demo stack).
class DestroyWithStack {
  constructor() {
    this.visited = 0;
  }
  visit(node) {
    this.visited += 1;
    if (CfnResource.isCfnResource(node)) {
      node.applyRemovalPolicy(RemovalPolicy.DESTROY);
    }
  }
}

function build(outdir) {
  const app = new App({ outdir, analyticsReporting: false });
  const stack = new Stack(app, 'JsiiCdkApp', {
    env: { account: '111111111111', region: 'us-east-1' },
  });
  const table = new dynamodb.Table(stack, 'Orders', {
    partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
    sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    encryption: dynamodb.TableEncryption.AWS_MANAGED,
  });
  const queue = new sqs.Queue(stack, 'Events', {
    visibilityTimeout: Duration.seconds(60),
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
  });
  const handler = new lambda.Function(stack, 'Handler', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => ({ ok: true });'),
    timeout: Duration.seconds(10),
    environment: { QUEUE_URL: queue.queueUrl, TABLE_NAME: table.tableName },
  });
  table.grantReadWriteData(handler);
  queue.grantSendMessages(handler);
  const aspect = new DestroyWithStack();
  Aspects.of(stack).add(aspect);
  app.synth();
  return aspect.visited;
}

const outdir = process.argv[2];
if (!outdir) {
  console.error('usage: app.js OUTDIR');
  process.exit(2);
}
const visited = build(outdir);
console.log(JSON.stringify({ outdir, visited }));
