import { argumentPolicies, ArgumentNotAllowedError } from '../src/command/policy/index.js';
import { parseCommandLine } from '../src/command/parse.js';
import { redactCommandLine, redactText } from '../src/command/redact.js';
import { DEFAULT_LOAD_LIMITS } from '../src/load/limits.js';
import { thrown } from './helpers.js';

const policies = argumentPolicies(DEFAULT_LOAD_LIMITS);
const check = (line: string): void => {
  const [program, ...args] = parseCommandLine(line).sequence[0]![0]!;
  policies.get(program)!(args);
};

describe('argument policies', () => {
  it.each([
    'curl -sd test http://podinfo-canary.test:9898/token',
    'curl -sSfL -X POST -H "Content-Type: application/json" --data-raw @literal https://x/',
    'curl -s -o /dev/null -w "%{http_code}" --max-time 5 http://x/',
    'curl -d @- http://x/',
    'curl -b a=b http://x/',
    'hey -z 1m -q 10 -c 2 http://podinfo-canary.test:9898/',
    'hey -n 100 -c 10 -q 5 -m POST -d body -H "X: y" -o csv http://x/',
    'kubectl -n test get pods -l app=podinfo -o jsonpath={.items[0].metadata.name}',
    'kubectl -ntest rollout status deploy/podinfo --timeout=2m',
    'kubectl exec -it deploy/podinfo -n test -- cat /etc/hostname',
    'kubectl apply -f https://example.test/x.yaml',
    'kubectl run curl --image=curlimages/curl --restart=Never --rm -i -- curl -f /etc/x',
    'helm test podinfo -n test --timeout 2m',
    'helm upgrade -i podinfo podinfo --repo https://stefanprodan.github.io/podinfo --set a=b -f - --wait',
    'grep -qiE "token|ok"',
    'grep -c -e x -e y -',
    'grep -5 x',
    'jq -r ".items[] | .name"',
    "jq -n --arg name value '$name'",
    "jq -rc --args '$ARGS' a b",
  ])('allows %j', (line) => {
    expect(() => check(line)).not.toThrow();
  });

  it.each([
    ['curl -sO http://x/f', '-O'],
    ['curl -so/tmp/x http://x/', '-o /tmp/x'],
    ['curl -sKfile http://x/', '-K'],
    ['curl --output=/tmp/x http://x/', '--output'],
    ['curl --json @/etc/passwd http://x/', '--json'],
    ['curl -w "%output{/tmp/x}" http://x/', '-w'],
    ['curl -b /etc/cookies http://x/', '-b'],
    ['curl x.test/path', 'x.test/path'],
    ['curl gopher://x/', 'gopher'],
    ['curl -n http://x/', '-n'],
    ['hey -q 1 -c 1 -n 1 ftp://x/', 'ftp://x/'],
    ['hey -q 1 -c 1 -n 1 -o json http://x/', '-o json'],
    ['hey -q 1 -c 1 -n 1 -unknown http://x/', '-unknown'],
    ['kubectl', 'kubectl'],
    ['kubectl --context other get pods', '--context'],
    ['kubectl --insecure-skip-tls-verify get pods', '--insecure-skip-tls-verify'],
    ['kubectl -n=test -v=9 --unknown get pods', '--unknown'],
    ['kubectl get pods -xf /etc/passwd', '-f /etc/passwd'],
    ['kubectl apply --edit -f -', '--edit'],
    ['kubectl logs -p --kubeconfig=/tmp/k pod', '--kubeconfig'],
    ['kubectl get -n --kubeconfig=/tmp/k pods', '--kubeconfig'],
    ['kubectl get pods -l --server=https://x', '--server'],
    ['curl -H -o/tmp/x http://x/', '-o /tmp/x'],
    ['kubectl patch deploy x --patch-file /etc/passwd', '--patch-file'],
    ['kubectl diff -f -', 'diff'],
    ['helm --debug', 'helm'],
    ['helm install x file:///etc', 'file:///etc'],
    ['helm upgrade x y --repo file:///etc', '--repo'],
    ['helm install x y --verify', '--verify'],
    ['helm env', 'env'],
    ['grep x /etc/passwd', '/etc/passwd'],
    ['grep -rn x', '-r'],
    ['grep --include=*.yaml x', '--include'],
    ['jq . /etc/passwd', '/etc/passwd'],
    ['jq -f /tmp/prog.jq', '-f'],
    ['jq -nr "include \\"x\\"; 1"', 'include'],
    ['jq --slurpfile a /etc/passwd .', '--slurpfile'],
    ['wrk -c 10 -d 10s http://x/', 'wrk'],
    ['ghz --insecure x:1', 'ghz'],
  ])('refuses %j, naming %j', (line, named) => {
    const err = thrown(() => check(line));
    expect(err).toBeInstanceOf(ArgumentNotAllowedError);
    expect(err).toMatchObject({ code: 'argument_not_allowed', message: expect.stringContaining(named) });
  });
});

describe('redaction', () => {
  it.each([
    ['curl -u user:pw http://x/', 'curl -u user:*** http://x/'],
    ['curl -suuser:pw http://x/', 'curl -suuser:*** http://x/'],
    ['curl -uuser:pw http://x/', 'curl -uuser:*** http://x/'],
    ['curl --user=user:pw http://x/', 'curl --user=user:*** http://x/'],
    ['kubectl get pods --token abc', 'kubectl get pods --token ***'],
    ['kubectl get pods --password=abc', 'kubectl get pods --password=***'],
    ['kubectl create secret generic s --from-literal=db-password=abc', 'kubectl create secret generic s --from-literal=db-password=***'],
    ['helm upgrade x y --set auth.token=abc,a=b', 'helm upgrade x y --set auth.token=***,a=b'],
    ['curl -H "X-Api-Key: abc" http://x/', "curl -H 'X-Api-Key: ***' http://x/"],
    ['curl -H "Cookie: s=abc" "https://u:p@x/?a=1&api_key=abc"', "curl -H 'Cookie: ***' 'https://***@x/?a=1&api_key=***'"],
    ['echo hi | grep "Bearer abc"', "echo hi | grep 'Bearer ***'"],
    ['true && curl http://x/?page=1', "true && curl 'http://x/?page=1'"],
  ])('shows %j as %j', (src, shown) => {
    expect(redactCommandLine(parseCommandLine(src))).toBe(shown);
  });

  it('redacts URLs on their own', () => {
    expect(redactText('http://a:b@h:1/p?token=t&x=1')).toBe('http://***@h:1/p?token=***&x=1');
  });
});
