namespace FashionFunctions.Core.Storage;

/// <summary>The transitions a kind of record may make; <see cref="RecordUpdater{T}"/> asks before every write.</summary>
public interface IStateMachine<in T>
{
    /// <summary>Whether a record may go from <paramref name="before"/> to <paramref name="after"/> in one write.</summary>
    bool Allows(T before, T after);

    /// <summary>Whether the record may be deleted (retention, or on request): never while anything may still change it.</summary>
    bool AllowsRemoval(T record);
}

/// <summary>A write or delete the record's state machine refuses (a bug in the caller, never the user's fault).</summary>
public sealed class InvalidTransitionException(string recordId, string from, string to)
    : InvalidOperationException($"{recordId}: the change from {from} to {to} is not a transition its lifecycle allows.");

/// <summary>A record kept changing under an update until the updater gave up (a transient condition: 503).</summary>
public sealed class RecordContentionException(string recordId, int attempts)
    : Exception($"{recordId} kept changing while it was updated; gave up after {attempts} conflicting writes.");
