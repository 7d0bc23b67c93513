using Kubesharp.Api.Resources;
using Kubesharp.ApiServer.ServiceAllocation;
using Kubesharp.Storage;

namespace Kubesharp.ApiServer.Rest;

internal sealed partial class RestHandler
{
    /// <summary>Cluster IPs and node ports of Services; null (unit tests of the handler) stores Services as sent.</summary>
    public ServiceAllocator? Services { get; init; }

    private bool Allocates(ResourceInfo resource) => Services is not null && IsService(resource);

    /// <summary>
    /// Runs a Service write under its allocation: committed (deferred releases done) when the write succeeded,
    /// reverted (what it took given back) when it failed or threw, so that a failed write never leaks.
    /// </summary>
    private static async Task<WriteResult> WriteAllocatedAsync(AllocationTransaction? allocation, Func<Task<WriteResult>> write)
    {
        WriteResult result;
        try
        {
            result = await write();
        }
        catch
        {
            if (allocation is not null)
            {
                await allocation.RevertAsync(CancellationToken.None);
            }

            throw;
        }

        if (allocation is not null)
        {
            await (result.Status == WriteStatus.Ok ? allocation.CommitAsync(CancellationToken.None) : allocation.RevertAsync(CancellationToken.None));
        }

        return result;
    }
}
