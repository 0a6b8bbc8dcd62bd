import { describe, expect, it } from 'vitest';
import { alertRequest, type AlertContent } from '../../../../src/core/alerts/alert-payload.js';
import type { CommittedTransition } from '../../../../src/core/alerts/committed-transition.js';

const transition: CommittedTransition = {
  oid: '5b0e7c1d9a42'.padEnd(40, 'f'),
  canary: 'demo/podinfo',
  phase: 'Failed',
  weight: 0,
  revision: '5b0e7c1d9a42',
  subject: 'podinfo: rolled back 5b0e7c1d9a42, weight 20 → 0',
  timestamp: 1_800_000_000,
  kind: 'rolled-back',
  checks: [
    { name: 'request-success-rate', value: '80', passed: false },
    { name: 'request-duration', value: '120', passed: true },
  ],
};
const content: AlertContent = {
  transition,
  severity: 'error',
  commitUrl: `https://git.example.com/team/deploy/commit/${transition.oid}`,
};
const provider = { channel: 'releases', username: 'canary-bot' };

const body = (type: Parameters<typeof alertRequest>[0]['type'], address: string, c = content) =>
  JSON.parse(alertRequest({ type, ...provider }, address, c).body) as Record<string, unknown>;

describe('alertRequest', () => {
  it('posts JSON to the address, with the Secret token as a bearer token when there is one', () => {
    const request = alertRequest(
      { type: 'slack', ...provider },
      'https://slack.com/api/chat.postMessage',
      content,
      'xoxb-1',
    );

    expect(request.url).toBe('https://slack.com/api/chat.postMessage');
    expect(request.headers).toEqual({ 'Content-Type': 'application/json', Authorization: 'Bearer xoxb-1' });
  });

  it('gives Slack an incoming-webhook message: text, channel, username and a coloured attachment of fields', () => {
    expect(body('slack', 'https://hooks.slack.com/services/T/B/X')).toEqual({
      channel: 'releases',
      username: 'canary-bot',
      icon_emoji: ':bird:',
      text: 'podinfo.demo: rolled back 5b0e7c1d9a42, weight 20 → 0',
      attachments: [
        {
          color: 'danger',
          fallback: 'podinfo.demo: rolled back 5b0e7c1d9a42, weight 20 → 0',
          author_name: 'podinfo.demo',
          text: 'rolled back 5b0e7c1d9a42, weight 20 → 0',
          title: 'commit',
          title_link: content.commitUrl,
          mrkdwn_in: ['text'],
          fields: [
            { title: 'Canary', value: 'demo/podinfo', short: true },
            { title: 'Phase', value: 'Failed', short: true },
            { title: 'Weight', value: '0%', short: true },
            { title: 'Revision', value: '5b0e7c1d9a42', short: true },
            { title: 'Failed checks', value: 'request-success-rate=80', short: true },
            { title: 'Commit', value: content.commitUrl, short: true },
          ],
        },
      ],
    });
  });

  it('gives Rocket.Chat its own names: alias for the bot, fields with short/title/value', () => {
    const rocket = body('rocket', 'https://chat.example.com/hooks/a/b');

    expect(rocket).toMatchObject({
      alias: 'canary-bot',
      channel: 'releases',
      text: expect.any(String) as string,
    });
    expect((rocket.attachments as Record<string, unknown>[])[0]).toMatchObject({
      color: '#FF0000',
      title_link: content.commitUrl,
      fields: expect.arrayContaining([{ short: true, title: 'Phase', value: 'Failed' }]) as unknown,
    });
  });

  it('gives Discord an Execute Webhook body with an embed, or the Slack form on its /slack endpoint', () => {
    const native = body('discord', 'https://discord.com/api/webhooks/1/t');
    const slack = body('discord', 'https://discord.com/api/webhooks/1/t/slack');

    expect(native).toMatchObject({
      username: 'canary-bot',
      content: 'podinfo.demo: rolled back 5b0e7c1d9a42, weight 20 → 0',
      embeds: [
        {
          title: 'rolled back 5b0e7c1d9a42, weight 20 → 0',
          url: content.commitUrl,
          color: 0xff0000,
          author: { name: 'podinfo.demo' },
          fields: expect.arrayContaining([{ name: 'Weight', value: '0%', inline: true }]) as unknown,
        },
      ],
    });
    expect(slack).toMatchObject({ channel: 'releases', attachments: [{ color: 'danger' }] });
  });

  it('gives a Teams connector the MessageCard Flagger sends, and a Workflows URL an Adaptive Card', () => {
    const card = body('msteams', 'https://example.webhook.office.com/webhookb2/x');
    const adaptive = body(
      'msteams',
      'https://prod-01.westeurope.logic.azure.com/workflows/x/triggers/manual/paths/invoke?sig=s',
    );

    expect(card).toMatchObject({
      '@type': 'MessageCard',
      '@context': 'https://schema.org/extensions',
      themeColor: 'FF0000',
      summary: 'podinfo.demo: rolled back 5b0e7c1d9a42, weight 20 → 0',
      sections: [
        {
          activityTitle: 'rolled back 5b0e7c1d9a42, weight 20 → 0',
          activitySubtitle: 'podinfo.demo',
          facts: expect.arrayContaining([{ name: 'Revision', value: '5b0e7c1d9a42' }]) as unknown,
        },
      ],
      potentialAction: [{ '@type': 'OpenUri', targets: [{ os: 'default', uri: content.commitUrl }] }],
    });
    expect(adaptive).toMatchObject({
      type: 'message',
      attachments: [
        {
          contentType: 'application/vnd.microsoft.card.adaptive',
          content: {
            type: 'AdaptiveCard',
            version: '1.4',
            body: [
              { type: 'TextBlock', text: 'rolled back 5b0e7c1d9a42, weight 20 → 0', color: 'Attention' },
              { type: 'TextBlock', text: 'podinfo.demo' },
              {
                type: 'FactSet',
                facts: expect.arrayContaining([{ title: 'Phase', value: 'Failed' }]) as unknown,
              },
            ],
            actions: [{ type: 'Action.OpenUrl', url: content.commitUrl }],
          },
        },
      ],
    });
  });

  it('gives Google Chat a cardsV2 message with a text fallback', () => {
    expect(body('gchat', 'https://chat.googleapis.com/v1/spaces/S/messages?key=k&token=t')).toMatchObject({
      text: 'podinfo.demo: rolled back 5b0e7c1d9a42, weight 20 → 0',
      cardsV2: [
        {
          cardId: 'gitcanary-5b0e7c1d9a42',
          card: {
            header: { title: 'rolled back 5b0e7c1d9a42, weight 20 → 0', subtitle: 'podinfo.demo' },
            sections: [
              {
                widgets: expect.arrayContaining([
                  { decoratedText: { topLabel: 'Phase', text: 'Failed' } },
                  {
                    buttonList: {
                      buttons: [{ text: 'Open commit', onClick: { openLink: { url: content.commitUrl } } }],
                    },
                  },
                ]) as unknown,
              },
            ],
          },
        },
      ],
    });
  });

  it('gives a generic webhook every fact of the transition', () => {
    expect(body('generic', 'https://hooks.example.com/x')).toEqual({
      canary: 'demo/podinfo',
      namespace: 'demo',
      name: 'podinfo',
      severity: 'error',
      kind: 'rolled-back',
      message: 'rolled back 5b0e7c1d9a42, weight 20 → 0',
      phase: 'Failed',
      weight: 0,
      revision: '5b0e7c1d9a42',
      commit: transition.oid,
      commitUrl: content.commitUrl,
      checks: transition.checks,
      timestamp: '2027-01-15T08:00:00.000Z',
    });
  });

  it('colours by severity and names the commit by its short id without a URL template', () => {
    const info = {
      transition: { ...transition, kind: 'step' as const, checks: [] },
      severity: 'info' as const,
    };
    const slack = body('slack', 'https://hooks.slack.com/services/T/B/X', info);
    const attachment = (slack.attachments as Record<string, unknown>[])[0];

    expect(attachment?.color).toBe('good');
    expect(attachment?.title_link).toBeUndefined();
    expect(attachment?.fields).toContainEqual({ title: 'Commit', value: '5b0e7c1d9a42', short: true });
  });
});
