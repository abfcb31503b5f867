using Microsoft.Extensions.Logging;

namespace FashionFunctions.Core.Storage;

/// <summary>
/// The one way a job or sweep record changes: read it, apply a change, write it on condition that nobody wrote in
/// between (its ETag), and on a conflict read again and re-apply the change to what is there now. Every write is
/// first checked against the record's state machine, so nothing leaves a finished state. A write whose answer was
/// lost is recognised by the store (the row carries the write's id), so a retried write that finds its own
/// version does not count as a conflict. Gives up, logging once, after <see cref="MaxConflicts"/> conflicts.
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

            if (await store.TryReplaceAsync(next, stored.ETag, cancellationToken).ConfigureAwait(false) is { } written)
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
}
