using FashionFunctions.Core.Access;

namespace FashionFunctions.Functions.Http.Access;

/// <summary>
/// The least role each HTTP function needs (null: anyone, signed in or not). Every HTTP function must be listed:
/// <see cref="RightsMiddleware"/> refuses to run one that is not, and a test fails. What a role may do with a
/// particular job or sweep (only its own, unless an admin) is the core's to decide.
/// </summary>
public static class RouteRights
{
    public static IReadOnlyDictionary<string, Role?> ByFunction { get; } = new Dictionary<string, Role?>
    {
        ["WebPage"] = null,
        ["WebAsset"] = null,
        ["OpenApiDocument"] = null,
        ["Health"] = null,
        ["HealthLive"] = null,
        ["HealthReady"] = null,
        ["WhoAmI"] = null,

        ["Classify"] = Role.Classifier,
        ["ListModels"] = Role.Classifier,
        ["GetModel"] = Role.Classifier,

        ["CreateTrainingJob"] = Role.Trainer,
        ["GetTrainingJob"] = Role.Trainer,
        ["ListTrainingJobs"] = Role.Trainer,
        ["CancelTrainingJob"] = Role.Trainer,
        ["TrainingJobEvents"] = Role.Trainer,
        ["CreateSweep"] = Role.Trainer,
        ["GetSweep"] = Role.Trainer,
        ["ListSweeps"] = Role.Trainer,
        ["CancelSweep"] = Role.Trainer,

        ["PromoteModel"] = Role.Admin,
        ["DeleteModel"] = Role.Admin,
        ["DeleteTrainingJob"] = Role.Admin,
        ["RetentionPreview"] = Role.Admin,
    };

    /// <summary>The HTTP functions a caller with <paramref name="role"/> may call (null: nobody known).</summary>
    public static IReadOnlyList<string> AllowedFor(Role? role) =>
        ByFunction.Where(r => r.Value is null || (role is { } known && known >= r.Value)).Select(r => r.Key).Order(StringComparer.Ordinal).ToList();
}
