using System.Text;
using k8s.Models;
using Kubesharp.Kubelet.Cri.V1;

namespace Kubesharp.Kubelet.Pods;

/// <summary>Why a container is not running, as the last sync found it (its waiting reason and message).</summary>
public sealed record ContainerWaiting(string Reason, string Message);

/// <summary>
/// A pod's status as upstream's kubelet generates it (<c>kubelet_pods.go</c> <c>generateAPIPodStatus</c>, <c>getPhase</c>,
/// and <c>pkg/kubelet/status/generate.go</c>): phase, the kubelet's conditions, IPs, start time, container statuses
/// (state, last state, ready, started, restart count, image, image id, container id) and QoS class.
/// </summary>
public static class PodStatusBuilder
{
    /// <summary>Upstream caps a termination message at 4096 bytes, and the log fallback at 80 lines / 2048 bytes.</summary>
    private const int MaxTerminationMessage = 4096;
    private const int MaxLogFallbackBytes = 2048;
    private const int MaxLogFallbackLines = 80;

    private static readonly HashSet<string> KubeletConditions = new(StringComparer.Ordinal)
    {
        "PodReadyToStartContainers", "Initialized", "ContainersReady", "Ready",
    };

    public static V1PodStatus Build(
        V1Pod pod,
        PodRuntimeStatus runtime,
        IReadOnlyDictionary<string, ContainerWaiting> waiting,
        Func<string, string, bool> ready,
        Func<string, string, bool> started,
        string hostIp,
        DateTimeOffset now,
        bool terminating)
    {
        var existing = pod.Status ?? new V1PodStatus();
        var initStatuses = (pod.Spec.InitContainers ?? []).Select(c => ContainerStatus(pod.Spec.RestartPolicy ?? "Always", c, runtime, waiting, ready, started, isInit: true)).ToList();
        var statuses = (pod.Spec.Containers ?? []).Select(c => ContainerStatus(pod.Spec.RestartPolicy ?? "Always", c, runtime, waiting, ready, started, isInit: false)).ToList();
        var initDone = initStatuses.All(s => s.State?.Terminated is { ExitCode: 0 });
        if (!initDone)
        {
            foreach (var s in statuses.Where(s => s.State?.Waiting is { Reason: "ContainerCreating" }))
            {
                s.State!.Waiting!.Reason = "PodInitializing";
            }
        }

        var phase = Phase(pod, initStatuses, statuses);
        if (terminating && phase is not ("Succeeded" or "Failed") && !runtime.AnyRunning)
        {
            // A pod the kubelet stopped for deletion ends in a terminal phase (upstream since 1.27).
            phase = statuses.All(s => s.State?.Terminated is { ExitCode: 0 }) && statuses.Count > 0 ? "Succeeded" : "Failed";
        }

        var status = new V1PodStatus
        {
            Phase = phase,
            HostIP = hostIp,
            HostIPs = [new V1HostIP { Ip = hostIp }],
            PodIP = runtime.PodIp ?? (pod.Spec.HostNetwork == true && runtime.LatestSandbox is not null ? hostIp : existing.PodIP),
            StartTime = existing.StartTime ?? now.UtcDateTime,
            QosClass = QosClass.Of(pod),
            InitContainerStatuses = initStatuses.Count == 0 ? null : initStatuses,
            ContainerStatuses = statuses,
            NominatedNodeName = existing.NominatedNodeName,
            Reason = existing.Reason,
            Message = existing.Message,
        };
        if (status.PodIP is not null)
        {
            status.PodIPs = [new V1PodIP { Ip = status.PodIP }];
        }

        status.Conditions = Conditions(pod, existing, status, runtime, initDone, now);
        return status;
    }

    private static List<V1PodCondition> Conditions(V1Pod pod, V1PodStatus existing, V1PodStatus status, PodRuntimeStatus runtime, bool initDone, DateTimeOffset now)
    {
        var terminal = status.Phase is "Succeeded" or "Failed";
        var sandboxReady = runtime.LatestSandbox is { State: PodSandboxState.SandboxReady };
        var conditions = new List<V1PodCondition>();

        void Add(string type, bool value, string? reason = null, string? message = null)
        {
            var old = existing.Conditions?.FirstOrDefault(c => c.Type == type);
            var text = value ? "True" : "False";
            conditions.Add(new V1PodCondition
            {
                Type = type,
                Status = text,
                Reason = reason,
                Message = message,
                LastTransitionTime = old?.Status == text ? old.LastTransitionTime : now.UtcDateTime,
                LastProbeTime = null,
            });
        }

        Add("PodReadyToStartContainers", sandboxReady && !terminal);

        var initNames = (pod.Spec.InitContainers ?? []).Select(c => c.Name)
            .Where(n => status.InitContainerStatuses?.FirstOrDefault(s => s.Name == n)?.State?.Terminated is not { ExitCode: 0 })
            .ToList();
        if (initDone || (terminal && status.Phase == "Succeeded"))
        {
            Add("Initialized", true, status.Phase == "Succeeded" && pod.Spec.InitContainers is { Count: > 0 } ? "PodCompleted" : null);
        }
        else
        {
            Add("Initialized", false, "ContainersNotInitialized", $"containers with incomplete status: [{string.Join(" ", initNames)}]");
        }

        var unready = status.ContainerStatuses.Where(s => !s.Ready).Select(s => s.Name).ToList();
        if (terminal && status.Phase == "Succeeded")
        {
            Add("ContainersReady", false, "PodCompleted");
            Add("Ready", false, "PodCompleted");
        }
        else if (!initDone)
        {
            Add("ContainersReady", false, "ContainersNotReady", $"containers with unready status: [{string.Join(" ", unready)}]");
            Add("Ready", false, "ContainersNotReady", $"containers with unready status: [{string.Join(" ", unready)}]");
        }
        else if (unready.Count > 0)
        {
            var message = $"containers with unready status: [{string.Join(" ", unready)}]";
            Add("ContainersReady", false, "ContainersNotReady", message);
            Add("Ready", false, "ContainersNotReady", message);
        }
        else
        {
            Add("ContainersReady", true);
            var gates = (pod.Spec.ReadinessGates ?? [])
                .Where(g => existing.Conditions?.FirstOrDefault(c => c.Type == g.ConditionType)?.Status != "True")
                .Select(g => g.ConditionType)
                .ToList();
            if (gates.Count > 0)
            {
                Add("Ready", false, "ReadinessGatesNotReady", $"corresponding condition of pod readiness gate \"{gates[0]}\" does not exist.");
            }
            else
            {
                Add("Ready", true);
            }
        }

        // Conditions others own (PodScheduled, DisruptionTarget, readiness gates) are kept as they are.
        foreach (var other in existing.Conditions ?? [])
        {
            if (!KubeletConditions.Contains(other.Type))
            {
                conditions.Add(other);
            }
        }

        return conditions;
    }

    private static bool WillRestart(string policy, int exitCode, bool isInit) =>
        isInit ? policy != "Never" && exitCode != 0 : policy == "Always" || (policy == "OnFailure" && exitCode != 0);

    private static V1ContainerStatus ContainerStatus(
        string policy,
        V1Container spec,
        PodRuntimeStatus runtime,
        IReadOnlyDictionary<string, ContainerWaiting> waiting,
        Func<string, string, bool> ready,
        Func<string, string, bool> started,
        bool isInit)
    {
        var latest = runtime.Latest(spec.Name);
        var previous = runtime.Previous(spec.Name);
        var status = new V1ContainerStatus { Name = spec.Name, Image = spec.Image, ImageID = "", Ready = false, Started = false, RestartCount = 0 };
        waiting.TryGetValue(spec.Name, out var wait);
        if (latest is null)
        {
            status.State = new V1ContainerState { Waiting = new V1ContainerStateWaiting { Reason = wait?.Reason ?? (isInit ? "PodInitializing" : "ContainerCreating"), Message = wait?.Message } };
            return status;
        }

        status.ImageID = latest.Status.ImageRef;
        status.ContainerID = $"containerd://{latest.Id}";
        status.RestartCount = latest.RestartCount;
        status.Started = false;
        switch (latest.State)
        {
            case ContainerState.ContainerRunning:
                status.State = new V1ContainerState { Running = new V1ContainerStateRunning { StartedAt = latest.StartedAt.UtcDateTime } };
                status.Started = started(spec.Name, latest.Id);
                status.Ready = !isInit && status.Started == true && ready(spec.Name, latest.Id);
                status.LastState = previous is { Exited: true } ? new V1ContainerState { Terminated = Terminated(previous) } : null;
                break;
            case ContainerState.ContainerCreated:
                status.State = new V1ContainerState { Waiting = new V1ContainerStateWaiting { Reason = wait?.Reason ?? "ContainerCreating", Message = wait?.Message } };
                status.LastState = previous is { Exited: true } ? new V1ContainerState { Terminated = Terminated(previous) } : null;
                break;
            case ContainerState.ContainerExited:
                // A waiting reason shows only for a container that will run again (upstream's ShouldContainerBeRestarted).
                if (wait is not null && WillRestart(policy, latest.Status.ExitCode, isInit))
                {
                    status.State = new V1ContainerState { Waiting = new V1ContainerStateWaiting { Reason = wait.Reason, Message = wait.Message } };
                    status.LastState = new V1ContainerState { Terminated = Terminated(latest) };
                }
                else
                {
                    status.State = new V1ContainerState { Terminated = Terminated(latest) };
                    status.LastState = previous is { Exited: true } ? new V1ContainerState { Terminated = Terminated(previous) } : null;
                }

                break;
            default:
                status.State = new V1ContainerState
                {
                    Terminated = new V1ContainerStateTerminated
                    {
                        ExitCode = 137,
                        Reason = "ContainerStatusUnknown",
                        Message = "The container could not be located when the pod was terminated",
                        ContainerID = status.ContainerID,
                    },
                };
                break;
        }

        return status;
    }

    /// <summary>The terminated state of an exited instance, with its termination message.</summary>
    public static V1ContainerStateTerminated Terminated(ContainerInstance instance)
    {
        var s = instance.Status;
        var reason = string.IsNullOrEmpty(s.Reason) ? (s.ExitCode == 0 ? "Completed" : "Error") : s.Reason;
        return new V1ContainerStateTerminated
        {
            ExitCode = s.ExitCode,
            Reason = reason,
            Message = TerminationMessage(instance),
            StartedAt = s.StartedAt > 0 ? instance.StartedAt.UtcDateTime : null,
            FinishedAt = s.FinishedAt > 0 ? instance.FinishedAt.UtcDateTime : null,
            ContainerID = $"containerd://{instance.Id}",
        };
    }

    private static string? TerminationMessage(ContainerInstance instance)
    {
        var s = instance.Status;
        string? message = null;
        if (s.Annotations.TryGetValue(RuntimeLabels.TerminationMessageHostPath, out var path) && File.Exists(path))
        {
            message = ReadCapped(path, MaxTerminationMessage);
        }

        if (string.IsNullOrEmpty(message) && s.ExitCode != 0
            && s.Annotations.TryGetValue(RuntimeLabels.TerminationMessagePolicy, out var policy) && policy == "FallbackToLogsOnError"
            && !string.IsNullOrEmpty(s.LogPath) && File.Exists(s.LogPath))
        {
            message = LogTail(s.LogPath);
        }

        return string.IsNullOrEmpty(message) ? (string.IsNullOrEmpty(s.Message) ? null : s.Message) : message;
    }

    private static string ReadCapped(string path, int max)
    {
        using var stream = File.OpenRead(path);
        var buffer = new byte[Math.Min(max, (int)Math.Min(stream.Length, max))];
        var read = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        return Encoding.UTF8.GetString(buffer, 0, read);
    }

    /// <summary>The last lines of a CRI log (message part only), capped as upstream.</summary>
    private static string LogTail(string path)
    {
        var lines = File.ReadLines(path).TakeLast(MaxLogFallbackLines).Select(l =>
        {
            // "<time> <stream> <P|F> <message>"
            var parts = l.Split(' ', 4);
            return parts.Length == 4 ? (parts[2] == "P" ? parts[3] : parts[3] + "\n") : l + "\n";
        });
        var text = string.Concat(lines);
        return text.Length > MaxLogFallbackBytes ? text[^MaxLogFallbackBytes..] : text;
    }

    /// <summary>Upstream's <c>getPhase</c>.</summary>
    public static string Phase(V1Pod pod, IReadOnlyList<V1ContainerStatus> init, IReadOnlyList<V1ContainerStatus> containers)
    {
        var policy = pod.Spec.RestartPolicy ?? "Always";
        var pendingInit = 0;
        var failedInit = 0;
        foreach (var s in init)
        {
            if (s.State?.Terminated is { } t)
            {
                if (t.ExitCode == 0)
                {
                    continue;
                }

                failedInit++;
            }
            else if (s.State?.Waiting is not null && s.LastState?.Terminated is { ExitCode: not 0 })
            {
                failedInit++;
            }
            else
            {
                pendingInit++;
            }
        }

        if (failedInit > 0 && policy == "Never")
        {
            return "Failed";
        }

        if (pendingInit > 0 || failedInit > 0)
        {
            return "Pending";
        }

        int running = 0, waiting = 0, stopped = 0, succeeded = 0;
        foreach (var s in containers)
        {
            if (s.State?.Running is not null)
            {
                running++;
            }
            else if (s.State?.Terminated is { } t)
            {
                stopped++;
                if (t.ExitCode == 0)
                {
                    succeeded++;
                }
            }
            else if (s.State?.Waiting is not null)
            {
                if (s.LastState?.Terminated is not null)
                {
                    stopped++;
                }
                else
                {
                    waiting++;
                }
            }
        }

        if (waiting > 0)
        {
            return "Pending";
        }

        if (running > 0)
        {
            return "Running";
        }

        if (stopped > 0)
        {
            if (policy == "Always")
            {
                return "Running";
            }

            if (stopped == succeeded)
            {
                return "Succeeded";
            }

            return policy == "Never" ? "Failed" : "Running";
        }

        return "Pending";
    }
}
