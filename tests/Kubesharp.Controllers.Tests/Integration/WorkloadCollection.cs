namespace Kubesharp.Controllers.Tests.Integration;

/// <summary>One API server and controller host for every integration test class: they run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class WorkloadCollection : ICollectionFixture<WorkloadClusterFixture>
{
    public const string Name = "workload-cluster";
}
