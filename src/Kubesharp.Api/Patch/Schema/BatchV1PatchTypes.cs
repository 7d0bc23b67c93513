using static Kubesharp.Api.Patch.Schema.CoreV1PatchTypes;
using static Kubesharp.Api.Patch.Schema.MetaV1PatchTypes;

namespace Kubesharp.Api.Patch.Schema;

/// <summary>Patch metadata of <c>batch/v1</c> (k8s.io/api/batch/v1/types.go, v1.32).</summary>
internal static class BatchV1PatchTypes
{
    private const string Prefix = "io.k8s.api.batch.v1.";

    internal static readonly PatchType JobSpec = new(Prefix + "JobSpec",
        PatchField.Object("template", PodTemplateSpec));

    internal static readonly PatchType Job = Root(Prefix + "Job",
        PatchField.Object("spec", JobSpec),
        PatchField.Object("status", Conditions(Prefix + "JobStatus")));

    // A CronJob's status lists its active jobs, a list without strategy: nothing to describe.
    internal static readonly PatchType CronJob = Root(Prefix + "CronJob",
        PatchField.Object("spec", new PatchType(Prefix + "CronJobSpec",
            PatchField.Object("jobTemplate", new PatchType(Prefix + "JobTemplateSpec",
                PatchField.Object("metadata", ObjectMeta),
                PatchField.Object("spec", JobSpec))))));

    internal static IEnumerable<(string Kind, PatchType Root)> Kinds =>
    [
        ("Job", Job),
        ("CronJob", CronJob),
    ];
}
