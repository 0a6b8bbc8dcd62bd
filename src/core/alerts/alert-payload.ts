// The body each chat service's incoming webhook documents, built from one committed transition. Pure: the
// shell posts what this returns. Microsoft Teams gets the MessageCard that Flagger sends (connector URLs),
// or an Adaptive Card for a Power Automate "Workflows" URL, which accepts nothing else; Discord gets its own
// Execute Webhook body, or Slack's when the address ends in `/slack` (Discord's Slack-compatible endpoint,
// which Flagger uses).
import type { AlertProvider } from './alert-provider.js';
import { describeTransition, type CommittedTransition } from './committed-transition.js';
import type { AlertSeverity } from './parse-alerts.js';

export interface AlertContent {
  transition: CommittedTransition;
  severity: AlertSeverity;
  /** The transition's commit in the forge's web UI, when `--commit-url-template` is set. */
  commitUrl?: string;
}

interface AlertField {
  name: string;
  value: string;
}

interface AlertRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** What a person reads first: `podinfo.demo` as Flagger writes it, then the step. */
function alertTitle(transition: CommittedTransition): string {
  return `${displayName(transition.canary)}: ${describeTransition(transition)}`;
}

function alertFields(content: AlertContent): AlertField[] {
  const { transition: t, commitUrl } = content;
  const failed = t.checks.filter((c) => !c.passed);
  return [
    { name: 'Canary', value: t.canary },
    { name: 'Phase', value: t.phase },
    { name: 'Weight', value: `${t.weight}%` },
    { name: 'Revision', value: t.revision },
    ...(t.checks.length > 0
      ? [
          {
            name: failed.length > 0 ? 'Failed checks' : 'Checks',
            value: (failed.length > 0 ? failed : t.checks).map((c) => `${c.name}=${c.value}`).join(', '),
          },
        ]
      : []),
    { name: 'Commit', value: commitUrl ?? t.oid.slice(0, 12) },
  ];
}

/** The request for one provider; `address` and `token` come from the provider or its Secret. */
export function alertRequest(
  provider: Pick<AlertProvider, 'type' | 'channel' | 'username'>,
  address: string,
  content: AlertContent,
  token?: string,
): AlertRequest {
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    ...(token ? { Authorization: `Bearer ${token}` } : {}),
  };
  return { url: address, headers, body: JSON.stringify(payloadFor(provider, address, content)) };
}

function payloadFor(
  provider: Pick<AlertProvider, 'type' | 'channel' | 'username'>,
  address: string,
  content: AlertContent,
): unknown {
  switch (provider.type) {
    case 'slack':
      return slackPayload(provider, content, slackColors);
    case 'rocket':
      return rocketPayload(provider, content);
    case 'discord':
      return new URL(address).pathname.endsWith('/slack')
        ? slackPayload(provider, content, slackColors)
        : discordPayload(provider, content);
    case 'msteams':
      return isTeamsWorkflow(address) ? teamsAdaptiveCard(content) : teamsMessageCard(content);
    case 'gchat':
      return googleChatPayload(content);
    case 'generic':
      return genericPayload(content);
  }
}

const slackColors: Record<AlertSeverity, string> = { info: 'good', warn: 'warning', error: 'danger' };
const hexColors: Record<AlertSeverity, string> = { info: '#0076D7', warn: '#F2A900', error: '#FF0000' };

/** Slack's incoming webhook, with one (legacy, still documented) attachment holding the fields. */
function slackPayload(
  provider: Pick<AlertProvider, 'channel' | 'username'>,
  content: AlertContent,
  colors: Record<AlertSeverity, string>,
): unknown {
  const title = alertTitle(content.transition);
  return {
    channel: provider.channel,
    username: provider.username,
    icon_emoji: ':bird:',
    text: title,
    attachments: [
      {
        color: colors[content.severity],
        fallback: title,
        author_name: displayName(content.transition.canary),
        text: describeTransition(content.transition),
        ...(content.commitUrl ? { title: 'commit', title_link: content.commitUrl } : {}),
        mrkdwn_in: ['text'],
        fields: alertFields(content).map((f) => ({ title: f.name, value: f.value, short: true })),
      },
    ],
  };
}

/** Rocket.Chat's incoming webhook: Slack-like, with `alias` for the bot's display name. */
function rocketPayload(
  provider: Pick<AlertProvider, 'channel' | 'username'>,
  content: AlertContent,
): unknown {
  return {
    alias: provider.username,
    channel: provider.channel,
    emoji: ':bird:',
    text: alertTitle(content.transition),
    attachments: [
      {
        color: hexColors[content.severity],
        author_name: displayName(content.transition.canary),
        text: describeTransition(content.transition),
        ...(content.commitUrl ? { title: 'commit', title_link: content.commitUrl } : {}),
        fields: alertFields(content).map((f) => ({ short: true, title: f.name, value: f.value })),
      },
    ],
  };
}

/** Discord's Execute Webhook: one embed, colour as an integer. */
function discordPayload(provider: Pick<AlertProvider, 'username'>, content: AlertContent): unknown {
  return {
    username: provider.username,
    content: alertTitle(content.transition),
    embeds: [
      {
        title: describeTransition(content.transition),
        ...(content.commitUrl ? { url: content.commitUrl } : {}),
        color: Number.parseInt(hexColors[content.severity].slice(1), 16),
        author: { name: displayName(content.transition.canary) },
        fields: alertFields(content).map((f) => ({ name: f.name, value: f.value, inline: true })),
      },
    ],
  };
}

/** The Office 365 connector card that Flagger sends (`@type: MessageCard`). */
function teamsMessageCard(content: AlertContent): unknown {
  return {
    '@type': 'MessageCard',
    '@context': 'https://schema.org/extensions',
    themeColor: hexColors[content.severity].slice(1),
    summary: alertTitle(content.transition),
    sections: [
      {
        activityTitle: describeTransition(content.transition),
        activitySubtitle: displayName(content.transition.canary),
        facts: alertFields(content),
      },
    ],
    ...(content.commitUrl
      ? {
          potentialAction: [
            { '@type': 'OpenUri', name: 'Open commit', targets: [{ os: 'default', uri: content.commitUrl }] },
          ],
        }
      : {}),
  };
}

/** A Teams "Workflows" webhook (Power Automate) takes a message whose attachment is an Adaptive Card. */
function teamsAdaptiveCard(content: AlertContent): unknown {
  const color = { info: 'Accent', warn: 'Warning', error: 'Attention' }[content.severity];
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body: [
            {
              type: 'TextBlock',
              text: describeTransition(content.transition),
              weight: 'Bolder',
              size: 'Medium',
              color,
              wrap: true,
            },
            {
              type: 'TextBlock',
              text: displayName(content.transition.canary),
              isSubtle: true,
              spacing: 'None',
            },
            { type: 'FactSet', facts: alertFields(content).map((f) => ({ title: f.name, value: f.value })) },
          ],
          ...(content.commitUrl
            ? { actions: [{ type: 'Action.OpenUrl', title: 'Open commit', url: content.commitUrl }] }
            : {}),
        },
      },
    ],
  };
}

/** Google Chat's incoming webhook: a `cardsV2` card, and `text` for notifications. */
function googleChatPayload(content: AlertContent): unknown {
  const { transition } = content;
  return {
    text: alertTitle(transition),
    cardsV2: [
      {
        cardId: `gitcanary-${transition.oid.slice(0, 12)}`,
        card: {
          header: { title: describeTransition(transition), subtitle: displayName(transition.canary) },
          sections: [
            {
              widgets: [
                ...alertFields(content).map((f) => ({ decoratedText: { topLabel: f.name, text: f.value } })),
                ...(content.commitUrl
                  ? [
                      {
                        buttonList: {
                          buttons: [
                            { text: 'Open commit', onClick: { openLink: { url: content.commitUrl } } },
                          ],
                        },
                      },
                    ]
                  : []),
              ],
            },
          ],
        },
      },
    ],
  };
}

/** gitcanary's own JSON, for any receiver: every fact of the transition, named plainly. */
function genericPayload(content: AlertContent): unknown {
  const t = content.transition;
  const slash = t.canary.indexOf('/');
  return {
    canary: t.canary,
    namespace: t.canary.slice(0, slash),
    name: t.canary.slice(slash + 1),
    severity: content.severity,
    kind: t.kind,
    message: describeTransition(t),
    phase: t.phase,
    weight: t.weight,
    revision: t.revision,
    commit: t.oid,
    ...(content.commitUrl ? { commitUrl: content.commitUrl } : {}),
    checks: t.checks,
    timestamp: new Date(t.timestamp * 1000).toISOString(),
  };
}

/** Workflows URLs are served by Azure Logic Apps or the Power Platform. */
function isTeamsWorkflow(address: string): boolean {
  const host = new URL(address).hostname;
  return host.endsWith('.logic.azure.com') || host.endsWith('.powerplatform.com');
}

/** `demo/podinfo` → `podinfo.demo`, the way Flagger names a Canary in its alerts. */
function displayName(canary: string): string {
  const slash = canary.indexOf('/');
  return `${canary.slice(slash + 1)}.${canary.slice(0, slash)}`;
}
