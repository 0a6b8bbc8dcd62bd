// What /readyz answers. A replica that reconciles is ready once a pass has read the repository and reached
// the cluster, and stops being ready after `failureThreshold` failed passes in a row (until one succeeds).
// A pass whose applies failed is a failed pass: git then says more than the cluster holds.
// A follower (leader election on, lease held elsewhere) is ready while it can read the Lease: were it never
// ready, a rolling update would wait forever for a new pod that cannot lead until the old one leaves.

type Role = 'single' | 'leader' | 'follower' | 'stopping';

export interface ReadinessStatus {
  ready: boolean;
  reason: string;
}

export class Readiness {
  private role: Role;
  private succeeded = false;
  private failuresInARow = 0;
  private lastFailure = '';
  private leaseReachable = false;

  constructor(
    role: 'single' | 'follower',
    private readonly failureThreshold = 3,
  ) {
    this.role = role;
  }

  setRole(role: Role): void {
    // A new leader proves itself with its own first pass.
    if (role === 'leader' && this.role !== 'leader') {
      this.succeeded = false;
      this.failuresInARow = 0;
    }
    this.role = role;
  }

  passSucceeded(): void {
    this.succeeded = true;
    this.failuresInARow = 0;
  }

  /** `why` is shown by /readyz: a short, fixed phrase, never an error message (it may hold a URL). */
  passFailed(why = 'the pass failed'): void {
    this.failuresInARow += 1;
    this.lastFailure = why;
  }

  leaseObserved(reachable: boolean): void {
    this.leaseReachable = reachable;
  }

  status(): ReadinessStatus {
    switch (this.role) {
      case 'stopping':
        return { ready: false, reason: 'shutting down' };
      case 'follower':
        return this.leaseReachable
          ? { ready: true, reason: 'follower: the leader reconciles' }
          : { ready: false, reason: 'follower: cannot read the leader election Lease' };
      default:
        if (!this.succeeded) return { ready: false, reason: 'no reconcile has completed yet' };
        if (this.failuresInARow >= this.failureThreshold)
          return {
            ready: false,
            reason: `the last ${this.failuresInARow} reconciles failed (last: ${this.lastFailure})`,
          };
        return { ready: true, reason: 'reconciling' };
    }
  }
}
