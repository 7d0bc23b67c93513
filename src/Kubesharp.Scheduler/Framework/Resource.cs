using k8s.Models;
using Kubesharp.Api.Quantities;

namespace Kubesharp.Scheduler.Framework;

/// <summary>The resource names the scheduler knows by name.</summary>
public static class ResourceNames
{
    public const string Cpu = "cpu";
    public const string Memory = "memory";
    public const string EphemeralStorage = "ephemeral-storage";
    public const string Pods = "pods";
}

/// <summary>
/// Upstream's <c>framework.Resource</c>: cpu in millicores, memory and ephemeral storage in bytes, the pod count,
/// and every other resource (extended resources, hugepages) by name as integers.
/// </summary>
public sealed class Resource
{
    /// <summary>Upstream's DefaultMilliCPURequest: what scoring counts for a container without a cpu request.</summary>
    public const long DefaultMilliCpuRequest = 100;

    /// <summary>Upstream's DefaultMemoryRequest (200 MB): what scoring counts for a container without a memory request.</summary>
    public const long DefaultMemoryRequest = 200L * 1024 * 1024;

    private Dictionary<string, long>? _scalar;

    public long MilliCpu { get; set; }

    public long Memory { get; set; }

    public long EphemeralStorage { get; set; }

    public long AllowedPodNumber { get; set; }

    public IReadOnlyDictionary<string, long> Scalar => (IReadOnlyDictionary<string, long>?)_scalar ?? EmptyScalar;

    private static readonly Dictionary<string, long> EmptyScalar = [];

    public static Resource FromList(IDictionary<string, ResourceQuantity>? list)
    {
        var r = new Resource();
        if (list is null)
        {
            return r;
        }

        foreach (var (name, quantity) in list)
        {
            r.Set(name, quantity, add: true);
        }

        return r;
    }

    /// <summary>The value of <paramref name="name"/> in the unit this type keeps it in (millicores for cpu).</summary>
    public long Get(string name) => name switch
    {
        ResourceNames.Cpu => MilliCpu,
        ResourceNames.Memory => Memory,
        ResourceNames.EphemeralStorage => EphemeralStorage,
        ResourceNames.Pods => AllowedPodNumber,
        _ => _scalar is not null && _scalar.TryGetValue(name, out var v) ? v : 0,
    };

    public void SetValue(string name, long value)
    {
        switch (name)
        {
            case ResourceNames.Cpu:
                MilliCpu = value;
                break;
            case ResourceNames.Memory:
                Memory = value;
                break;
            case ResourceNames.EphemeralStorage:
                EphemeralStorage = value;
                break;
            case ResourceNames.Pods:
                AllowedPodNumber = value;
                break;
            default:
                (_scalar ??= new Dictionary<string, long>(StringComparer.Ordinal))[name] = value;
                break;
        }
    }

    public void Add(Resource other, int sign = 1)
    {
        MilliCpu += sign * other.MilliCpu;
        Memory += sign * other.Memory;
        EphemeralStorage += sign * other.EphemeralStorage;
        AllowedPodNumber += sign * other.AllowedPodNumber;
        if (other._scalar is null)
        {
            return;
        }

        foreach (var (name, value) in other._scalar)
        {
            SetValue(name, Get(name) + (sign * value));
        }
    }

    /// <summary>Each field becomes the larger of this one and <paramref name="other"/>'s.</summary>
    public void Max(Resource other)
    {
        MilliCpu = Math.Max(MilliCpu, other.MilliCpu);
        Memory = Math.Max(Memory, other.Memory);
        EphemeralStorage = Math.Max(EphemeralStorage, other.EphemeralStorage);
        AllowedPodNumber = Math.Max(AllowedPodNumber, other.AllowedPodNumber);
        if (other._scalar is null)
        {
            return;
        }

        foreach (var (name, value) in other._scalar)
        {
            SetValue(name, Math.Max(Get(name), value));
        }
    }

    public Resource Clone()
    {
        var r = new Resource { MilliCpu = MilliCpu, Memory = Memory, EphemeralStorage = EphemeralStorage, AllowedPodNumber = AllowedPodNumber };
        if (_scalar is not null)
        {
            r._scalar = new Dictionary<string, long>(_scalar, StringComparer.Ordinal);
        }

        return r;
    }

    /// <summary>True when nothing at all is requested (a best-effort pod).</summary>
    public bool IsZero => MilliCpu == 0 && Memory == 0 && EphemeralStorage == 0 && (_scalar is null || _scalar.Values.All(v => v == 0));

    private void Set(string name, ResourceQuantity quantity, bool add)
    {
        if (!Quantity.TryParse(quantity.ToString(), out var q, out _))
        {
            return;
        }

        var value = name == ResourceNames.Cpu ? q.MilliValue() : q.Value();
        SetValue(name, add ? Get(name) + value : value);
    }
}
