using System.Net;
using System.Text.Json;
using k8s;
using k8s.Models;
using Kubesharp.ApiServer.Pki;
using Kubesharp.ApiServer.Tests.Integration;

namespace Kubesharp.ApiServer.Tests.Streaming;

/// <summary>pods/log, pods/exec and pods/attach through a real API server to a fake kubelet at a Node's address and port.</summary>
public sealed class PodStreamingTests(SqliteApiServerFixture server) : IClassFixture<SqliteApiServerFixture>, IAsyncLifetime
{
    private readonly FakeKubelet _kubelet = new();
    private readonly string _ns = "stream-" + Guid.NewGuid().ToString("N")[..8];
    private readonly string _node = "node-" + Guid.NewGuid().ToString("N")[..8];

    public async Task InitializeAsync()
    {
        await _kubelet.StartAsync();
        using var client = server.Client();
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = _ns } });
        var node = await client.CoreV1.CreateNodeAsync(new V1Node { Metadata = new V1ObjectMeta { Name = _node } });
        node.Status = new V1NodeStatus
        {
            Addresses = [new V1NodeAddress { Type = "Hostname", Address = "no-such-host.invalid" }, new V1NodeAddress { Type = "InternalIP", Address = "127.0.0.1" }],
            DaemonEndpoints = new V1NodeDaemonEndpoints { KubeletEndpoint = new V1DaemonEndpoint { Port = _kubelet.Port } },
        };
        await client.CoreV1.ReplaceNodeStatusAsync(node, _node);
        await CreatePodAsync(client, "one", _node, "c");
        await CreatePodAsync(client, "two", _node, "a", "b");
        await CreatePodAsync(client, "pending", null, "c");
    }

    public async Task DisposeAsync() => await _kubelet.DisposeAsync();

    private async Task CreatePodAsync(Kubernetes client, string name, string? node, params string[] containers) =>
        await client.CoreV1.CreateNamespacedPodAsync(new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = name },
            Spec = new V1PodSpec { NodeName = node, Containers = [.. containers.Select(c => new V1Container { Name = c, Image = "127.0.0.1:5000/library/busybox:1.35" })] },
        }, _ns);

    [SkippableFact]
    public async Task Log_streams_the_kubelets_answer_with_the_options_passed_on_as_the_api_server_client()
    {
        using var http = server.Http();

        using var response = await http.GetAsync($"/api/v1/namespaces/{_ns}/pods/one/log?follow=true&tailLines=2&timestamps=true&sinceSeconds=10&limitBytes=100&previous=false");
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal($"/containerLogs/{_ns}/one/c?tailLines=2&limitBytes=100&sinceSeconds=10&follow=true&timestamps=true\none\ntwo\n", body);
        Assert.Equal([ClusterPki.KubeletClientUser], _kubelet.Callers.Distinct());
    }

    [SkippableFact]
    public async Task Kubectl_logs_names_the_container_and_the_tail()
    {
        var (code, stdout, stderr) = await server.KubectlAsync("logs", "-n", _ns, "two", "-c", "b", "--tail=1", "--timestamps");

        Assert.True(code == 0, stderr);
        Assert.Equal($"/containerLogs/{_ns}/two/b?tailLines=1&timestamps=true\none\ntwo\n", stdout);
    }

    [SkippableFact]
    public async Task Log_without_a_container_of_a_pod_with_two_is_refused_as_upstream()
    {
        using var http = server.Http();

        using var response = await http.GetAsync($"/api/v1/namespaces/{_ns}/pods/two/log");
        using var status = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("a container name must be specified for pod two, choose one of: [a b]", status.RootElement.GetProperty("message").GetString());
        Assert.Empty(_kubelet.Requests);
    }

    [SkippableFact]
    public async Task Log_of_an_unknown_container_is_refused_and_a_negative_tail_is_invalid()
    {
        using var http = server.Http();

        using var unknown = await http.GetAsync($"/api/v1/namespaces/{_ns}/pods/one/log?container=x");
        using var negative = await http.GetAsync($"/api/v1/namespaces/{_ns}/pods/one/log?tailLines=-1");

        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Contains("container x is not valid for pod one", await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, negative.StatusCode);
    }

    [SkippableFact]
    public async Task Log_of_an_unscheduled_pod_is_empty_as_upstream()
    {
        using var http = server.Http();

        using var response = await http.GetAsync($"/api/v1/namespaces/{_ns}/pods/pending/log");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("", await response.Content.ReadAsStringAsync());
    }

    [SkippableFact]
    public async Task A_kubelet_error_comes_back_as_a_status()
    {
        _kubelet.LogError = (400, "previous terminated container \"c\" in pod \"one\" not found");

        var (code, _, stderr) = await server.KubectlAsync("logs", "-n", _ns, "one", "--previous");

        Assert.NotEqual(0, code);
        Assert.Contains("Error from server (BadRequest): previous terminated container \"c\" in pod \"one\" not found", stderr, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Kubectl_exec_relays_output_and_returns_the_exit_code()
    {
        var (code, stdout, stderr) = await server.KubectlAsync("exec", "-n", _ns, "one", "--", "sh", "-c", "exit 3");

        Assert.True(code == 3, $"kubectl exec exited {code}: {stderr}");
        Assert.Equal("hi\n", stdout);
        Assert.Contains("oops", stderr, StringComparison.Ordinal);
        Assert.Contains($"/exec/{_ns}/one/c?command=sh&command=-c&command=exit%203&stdout=1&stderr=1", _kubelet.Requests);
    }

    [SkippableFact]
    public async Task Kubectl_exec_with_exit_code_zero_succeeds()
    {
        _kubelet.ExitCode = 0;

        var (code, stdout, stderr) = await server.KubectlAsync("exec", "-n", _ns, "two", "-c", "a", "--", "true");

        Assert.True(code == 0, stderr);
        Assert.Equal("hi\n", stdout);
    }

    [SkippableFact]
    public async Task Exec_in_an_unscheduled_pod_is_refused()
    {
        var (code, _, stderr) = await server.KubectlAsync("exec", "-n", _ns, "pending", "--", "true");

        Assert.NotEqual(0, code);
        Assert.Contains("pod pending does not have a host assigned", stderr, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task The_csharp_client_exec_gets_streams_and_the_exit_code()
    {
        using var client = server.Client();
        string? stdout = null;

        var exit = await client.NamespacedPodExecAsync("one", _ns, "c", ["sh", "-c", "exit 3"], false, async (_, output, _) =>
        {
            using var reader = new StreamReader(output);
            stdout = await reader.ReadToEndAsync();
        }, CancellationToken.None);

        Assert.Equal(3, exit);
        Assert.Equal("hi\n", stdout);
    }

    [SkippableFact]
    public async Task The_csharp_client_attach_reaches_the_attach_endpoint()
    {
        using var client = server.Client();
        _kubelet.ExitCode = 0;

        using var socket = await client.WebSocketNamespacedPodAttachAsync("one", _ns, "c", stderr: true, stdin: false, stdout: true, tty: false);

        var buffer = new byte[1024];
        var first = await socket.ReceiveAsync(buffer, CancellationToken.None);
        Assert.Equal("\u0001hi\n", FakeKubelet.Text(buffer[..first.Count]));
        Assert.Contains($"/attach/{_ns}/one/c?stdout=1&stderr=1", _kubelet.Requests);
    }
}
