namespace Kubesharp.Scheduler.Framework;

/// <summary>Upstream's framework status codes: what a plugin's answer means for the pod.</summary>
public enum Code
{
    Success,

    /// <summary>An internal error: the pod is retried with back-off.</summary>
    Error,

    /// <summary>The pod does not fit the node, but preempting pods there might make it fit.</summary>
    Unschedulable,

    /// <summary>The pod does not fit the node, and preemption cannot change that.</summary>
    UnschedulableAndUnresolvable,

    /// <summary>A Permit plugin holds the pod.</summary>
    Wait,

    /// <summary>The plugin has nothing to say about this pod (its Filter or Score is not run).</summary>
    Skip,
}

/// <summary>
/// A plugin's answer: a value, never an exception (STYLE: expected outcomes are values). Success is one shared
/// instance so that the per-node filter loop allocates nothing when a node fits; failures carry the reasons a user
/// sees in the pod's <c>PodScheduled</c> condition and its <c>FailedScheduling</c> event.
/// </summary>
public sealed class Status
{
    public static readonly Status Success = new(Code.Success, [], "");

    public static readonly Status Skip = new(Code.Skip, [], "");

    public Status(Code code, IReadOnlyList<string> reasons, string plugin)
    {
        Code = code;
        Reasons = reasons;
        Plugin = plugin;
    }

    public Code Code { get; }

    public IReadOnlyList<string> Reasons { get; }

    /// <summary>The plugin that failed the pod (empty for success).</summary>
    public string Plugin { get; }

    public bool IsSuccess => Code == Code.Success;

    public bool IsSkip => Code == Code.Skip;

    /// <summary>Unschedulable or UnschedulableAndUnresolvable: a verdict on the node, not a fault.</summary>
    public bool IsRejected => Code is Code.Unschedulable or Code.UnschedulableAndUnresolvable;

    public string Message => string.Join(", ", Reasons);

    public static Status Unschedulable(string plugin, params string[] reasons) => new(Code.Unschedulable, reasons, plugin);

    public static Status Unresolvable(string plugin, params string[] reasons) => new(Code.UnschedulableAndUnresolvable, reasons, plugin);

    public static Status Error(string plugin, string message) => new(Code.Error, [message], plugin);

    public override string ToString() => IsSuccess ? "Success" : $"{Code} ({Plugin}): {Message}";
}
