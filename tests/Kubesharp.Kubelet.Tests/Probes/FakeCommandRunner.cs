using System.Collections.Concurrent;
using Kubesharp.Kubelet.Probes;

namespace Kubesharp.Kubelet.Tests.Probes;

/// <summary>A container command runner that answers every command with <see cref="Result"/> and records what it ran.</summary>
internal sealed class FakeCommandRunner : IContainerCommandRunner
{
    public CommandResult Result { get; set; } = new(0, [], []);

    public ConcurrentQueue<(string ContainerId, IReadOnlyList<string> Command, TimeSpan Timeout)> Calls { get; } = new();

    public Task<CommandResult> RunAsync(string containerId, IReadOnlyList<string> command, TimeSpan timeout, CancellationToken cancellationToken)
    {
        Calls.Enqueue((containerId, command, timeout));
        return Task.FromResult(Result);
    }
}
