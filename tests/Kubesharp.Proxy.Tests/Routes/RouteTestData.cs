using k8s.Models;
using Kubesharp.Proxy.Model;
using Kubesharp.Proxy.Routes;

namespace Kubesharp.Proxy.Tests.Routes;

internal static class RouteTestData
{
    public static V1Node Node(string name, string? podCidr, string? internalIp) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, Uid = name + "-uid", ResourceVersion = "1" },
        Spec = new V1NodeSpec { PodCIDR = podCidr },
        Status = new V1NodeStatus
        {
            Addresses = internalIp is null
                ? [new V1NodeAddress { Type = "Hostname", Address = name }]
                : [new V1NodeAddress { Type = "Hostname", Address = name }, new V1NodeAddress { Type = "InternalIP", Address = internalIp }],
        },
    };
}

/// <summary>
/// A scripted <see cref="RuleRunner"/>: records every command, answers <c>ip route show</c> with <see cref="Routes"/>,
/// <c>iptables -C</c> with <see cref="JumpPresent"/>, fails the commands <see cref="Fail"/> says, and completes
/// <see cref="NextRestore"/> at every <c>iptables-restore</c> (the last command of a pass). Thread-safe.
/// </summary>
internal sealed class FakeRuleRunner
{
    private readonly Lock _lock = new();
    private readonly List<string> _commands = [];
    private TaskCompletionSource _restore = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string Routes { get; set; } = "";

    public bool JumpPresent { get; set; }

    public Func<string, bool> Fail { get; set; } = _ => false;

    public List<string?> Stdins { get; } = [];

    public IReadOnlyList<string> Commands
    {
        get
        {
            lock (_lock)
            {
                return [.. _commands];
            }
        }
    }

    /// <summary>Completes at the next <c>iptables-restore</c>.</summary>
    public Task NextRestore
    {
        get
        {
            lock (_lock)
            {
                return _restore.Task;
            }
        }
    }

    public void Clear()
    {
        lock (_lock)
        {
            _commands.Clear();
            Stdins.Clear();
        }
    }

    public Task<RuleToolResult> RunAsync(string file, IReadOnlyList<string> args, string? stdin, CancellationToken cancellationToken)
    {
        var line = file + " " + string.Join(' ', args);
        TaskCompletionSource? done = null;
        lock (_lock)
        {
            _commands.Add(line);
            Stdins.Add(stdin);
            if (file == "iptables-restore")
            {
                done = _restore;
                _restore = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }

        RuleToolResult result;
        if (Fail(line))
        {
            result = new RuleToolResult(2, "", "RTNETLINK answers: Network is unreachable");
        }
        else if (line.StartsWith("ip -4 route show", StringComparison.Ordinal))
        {
            result = new RuleToolResult(0, Routes, "");
        }
        else if (line.Contains(" -C POSTROUTING", StringComparison.Ordinal))
        {
            result = new RuleToolResult(JumpPresent ? 0 : 1, "", JumpPresent ? "" : "iptables: Bad rule (does a matching rule exist in that chain?).");
        }
        else
        {
            result = new RuleToolResult(0, "", "");
        }

        done?.TrySetResult();
        return Task.FromResult(result);
    }
}
