using Microsoft.Extensions.Logging;

namespace FashionFunctions.Core.Storage;

/// <summary>
/// The one way a job or sweep record changes: read it, apply a change, write it on condition that nobody wrote in
/// between (its ETag), and on a conflict read again and re-apply the change to what is there now. Every write is
/// first checked against the record's state machine, so nothing leaves a finished state. A write whose answer was
/// lost is recognised by the store (the row carries the write's id), so a retried write that finds its own
/// version does not count as a conflict. Gives up, logging once, after <see cref="MaxConflicts"/> conflicts. Deleting
/// a record goes through here too, asking the state machine first (<see cref="RemoveAsync"/>).
/// </summary>
public sealed class RecordUpdater<T>(IRecordStore<T> store, IStateMachine<T> lifecycle, Func<T, string> describe, ILogger logger)
    where T : class
{
    public const int MaxConflicts = 20;

    /// <summary>
    /// Applies <paramref name="change"/> until its write lands. The change sees the latest stored version; it
    /// returns the record to write, or the same instance (or null) when there is nothing to write, or throws to
    /// refuse. Returns the version in force afterwards; null when the record does not exist.
    /// </summary>
    /// <param name="known">A version already read, used for the first attempt instead of reading again.</param>
    public async Task<Stored<T>?> UpdateAsync(string id, Func<Stored<T>, T?> change, CancellationToken cancellationToken, Stored<T>? known = null)
    {
        var stored = known ?? await store.GetAsync(id, cancellationToken).ConfigureAwait(false);
        for (int conflicts = 0; stored is not null; conflicts++)
        {
            var next = change(stored);
            if (next is null || ReferenceEquals(next, stored.Record))
            {
                return stored;
            }

            if (!lifecycle.Allows(stored.Record, next))
            {
                throw new InvalidTransitionException(id, describe(stored.Record), describe(next));
            }

            if (await store.TryReplaceAsync(stored, next, cancellationToken).ConfigureAwait(false) is { } written)
            {
                return written;
            }

            if (conflicts + 1 >= MaxConflicts)
            {
                logger.LogWarning("{RecordId}: gave up an update after {Conflicts} conflicting writes", id, conflicts + 1);
                throw new RecordContentionException(id, conflicts + 1);
            }

            stored = await store.GetAsync(id, cancellationToken).ConfigureAwait(false);
        }

        return null;
    }

    /// <summary>
    /// Deletes the record if <paramref name="decide"/>, shown the latest stored version, says so (it may throw to
    /// refuse), and its state machine allows it — on condition that nobody wrote it in between; a record changed
    /// meanwhile is decided again. True when this call deleted it; false when it was not there or was kept.
    /// </summary>
    public async Task<bool> RemoveAsync(string id, Func<Stored<T>, bool> decide, CancellationToken cancellationToken)
    {
        for (int conflicts = 0; conflicts < MaxConflicts; conflicts++)
        {
            var stored = await store.GetAsync(id, cancellationToken).ConfigureAwait(false);
            if (stored is null || !decide(stored))
            {
                return false;
            }

            if (!lifecycle.AllowsRemoval(stored.Record))
            {
                throw new InvalidTransitionException(id, describe(stored.Record), "deleted");
            }

            if (await store.TryDeleteAsync(stored, cancellationToken).ConfigureAwait(false))
            {
                return true;
            }
        }

        logger.LogWarning("{RecordId}: gave up a delete after {Conflicts} conflicting writes", id, MaxConflicts);
        throw new RecordContentionException(id, MaxConflicts);
    }
}
