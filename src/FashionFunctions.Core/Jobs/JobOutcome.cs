namespace FashionFunctions.Core.Jobs;

/// <summary>What became of one delivery of a training message.</summary>
public enum JobOutcome
{
    Succeeded,

    /// <summary>The job had finished (or been cancelled) already: the message did nothing.</summary>
    AlreadyFinished,

    /// <summary>Another run holds a live claim: the message was put back on the queue until that claim lapses.</summary>
    Deferred,

    /// <summary>The job was cancelled while this run trained it; the run stopped.</summary>
    Cancelled,

    /// <summary>Another run took the job over; this one stopped without writing.</summary>
    ClaimLost,
    FailedPermanently,

    /// <summary>The host was shutting down: the run released the job and put a fresh message on the queue.</summary>
    HandedOver,
}
