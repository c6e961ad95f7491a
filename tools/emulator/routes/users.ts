// Account routes: users/get_current_account, users/get_space_usage, check/user.
import type { Route } from './route.js';

const currentAccount: Route = {
  name: 'users/get_current_account',
  host: 'api',
  style: 'rpc',
  auth: 'user',
  voidArg: true,
  async handle(ctx) {
    const { state } = ctx;
    await ctx.json({
      account_id: state.accountId,
      name: {
        given_name: 'Emma',
        surname: 'Ulator',
        familiar_name: 'Emma',
        display_name: 'Emma Ulator',
        abbreviated_name: 'EU',
      },
      email: 'emulator@example.com',
      email_verified: true,
      disabled: false,
      country: 'CH',
      locale: 'en',
      referral_link: 'https://db.tt/emulator',
      is_paired: false,
      account_type: { '.tag': 'basic' },
      root_info: {
        '.tag': 'user',
        root_namespace_id: state.namespaceId,
        home_namespace_id: state.namespaceId,
      },
    });
  },
};

const spaceUsage: Route = {
  name: 'users/get_space_usage',
  host: 'api',
  style: 'rpc',
  auth: 'user',
  voidArg: true,
  async handle(ctx) {
    const { ns, options } = ctx.state;
    const team = options.team;
    if (team) {
      // `used` is this member's own usage; the allocation is the team's, as on Dropbox.
      await ctx.json({
        used: ns.used,
        allocation: {
          '.tag': 'team',
          used: ns.used + team.usedByOthersBytes,
          allocated: team.allocatedBytes,
          user_within_team_space_allocated: team.userLimitBytes,
          user_within_team_space_limit_type: {
            '.tag': team.userLimitBytes > 0 ? 'stop_sync' : 'off',
          },
          user_within_team_space_used_cached: ns.used,
        },
      });
      return;
    }
    await ctx.json({
      used: ns.used,
      allocation: { '.tag': 'individual', allocated: ns.quotaBytes },
    });
  },
};

const checkUser: Route = {
  name: 'check/user',
  host: 'api',
  style: 'rpc',
  auth: 'user',
  async handle(ctx) {
    const query = ctx.arg().string('query', '');
    if (query.length > 500) ctx.arg().fail('query', 'longer than 500 characters');
    await ctx.json({ result: query });
  },
};

export const userRoutes: Route[] = [currentAccount, spaceUsage, checkUser];
