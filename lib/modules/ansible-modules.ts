/**
 * The modules Ansible has (ansible-core 2.14's ansible.builtin and the collections Debian's ansible 7 ships that
 * playbooks use most), by collection: so that a task naming one typebook lacks is told so, rather than given an
 * unrelated "did you mean". spec/modules/ansible-modules.spec.ts keeps the list equal to Debian's.
 */
import { Type } from '@sinclair/typebox';
import { defineModule, type ModuleDefinition } from './module.js';

export const ansibleModules: Readonly<Record<string, string>> = {
  'ansible.builtin':
    'add_host apt apt_key apt_repository assemble assert async_status async_wrapper blockinfile command ' +
    'copy cron debconf debug dnf dpkg_selections expect fail fetch file find gather_facts get_url getent ' +
    'git group group_by hostname import_playbook import_role import_tasks include_role include_tasks ' +
    'include_vars iptables known_hosts lineinfile meta package package_facts pause ping pip raw reboot ' +
    'replace rpm_key script service service_facts set_fact set_stats setup shell slurp stat subversion ' +
    'systemd systemd_service sysvinit tempfile template unarchive uri user validate_argument_spec ' +
    'wait_for wait_for_connection yum yum_repository',
  'ansible.posix':
    'acl at authorized_key firewalld firewalld_info mount patch rhel_facts rhel_rpm_ostree ' +
    'rpm_ostree_upgrade seboolean selinux synchronize sysctl',
  'ansible.netcommon':
    'cli_command cli_config grpc_config grpc_get net_get net_ping net_put netconf_config netconf_get ' +
    'netconf_rpc network_resource restconf_config restconf_get telnet',
  'ansible.utils':
    'cli_parse fact_diff update_fact validate',
  'ansible.windows':
    'win_acl win_acl_inheritance win_certificate_store win_command win_copy win_dns_client win_domain ' +
    'win_domain_controller win_domain_membership win_dsc win_environment win_feature win_file win_find ' +
    'win_get_url win_group win_group_membership win_hostname win_optional_feature win_owner win_package ' +
    'win_path win_ping win_powershell win_reboot win_reg_stat win_regedit win_service win_service_info ' +
    'win_share win_shell win_stat win_tempfile win_template win_updates win_uri win_user win_user_right ' +
    'win_wait_for win_whoami',
  'community.general':
    'aerospike_migrations airbrake_deployment aix_devices aix_filesystem aix_inittab aix_lvg aix_lvol ' +
    'alerta_customer ali_instance ali_instance_info alternatives ansible_galaxy_install apache2_mod_proxy ' +
    'apache2_module apk apt_repo apt_rpm archive atomic_container atomic_host atomic_image awall beadm ' +
    'bearychat bigpanda bitbucket_access_key bitbucket_pipeline_key_pair bitbucket_pipeline_known_host ' +
    'bitbucket_pipeline_variable bower btrfs_info btrfs_subvolume bundler bzr campfire capabilities cargo ' +
    'catapult circonus_annotation cisco_webex clc_aa_policy clc_alert_policy clc_blueprint_package ' +
    'clc_firewall_policy clc_group clc_loadbalancer clc_modify_server clc_publicip clc_server ' +
    'clc_server_snapshot cloud_init_data_facts cloudflare_dns cobbler_sync cobbler_system composer consul ' +
    'consul_acl consul_kv consul_session copr cpanm cronvar crypttab datadog_downtime datadog_event ' +
    'datadog_monitor dconf deploy_helper dimensiondata_network dimensiondata_vlan discord django_manage ' +
    'dnf_versionlock dnsimple dnsimple_info dnsmadeeasy dpkg_divert easy_install ejabberd_user ' +
    'elasticsearch_plugin emc_vnx_sg_member etcd3 facter filesize filesystem flatpak flatpak_remote ' +
    'flowdock gandi_livedns gconftool2 gconftool2_info gem git_config github_deploy_key github_issue ' +
    'github_key github_release github_repo github_webhook github_webhook_info gitlab_branch ' +
    'gitlab_deploy_key gitlab_group gitlab_group_members gitlab_group_variable gitlab_hook gitlab_project ' +
    'gitlab_project_badge gitlab_project_members gitlab_project_variable gitlab_protected_branch ' +
    'gitlab_runner gitlab_user grove gunicorn hana_query haproxy heroku_collaborator hg hipchat homebrew ' +
    'homebrew_cask homebrew_tap homectl honeybadger_deployment hpilo_boot hpilo_info hponcfg htpasswd ' +
    'hwc_ecs_instance hwc_evs_disk hwc_network_vpc hwc_smn_topic hwc_vpc_eip hwc_vpc_peering_connect ' +
    'hwc_vpc_port hwc_vpc_private_ip hwc_vpc_route hwc_vpc_security_group hwc_vpc_security_group_rule ' +
    'hwc_vpc_subnet ibm_sa_domain ibm_sa_host ibm_sa_host_ports ibm_sa_pool ibm_sa_vol ibm_sa_vol_map ' +
    'icinga2_feature icinga2_host idrac_redfish_command idrac_redfish_config idrac_redfish_info ' +
    'ilo_redfish_command ilo_redfish_config ilo_redfish_info imc_rest imgadm infinity influxdb_database ' +
    'influxdb_query influxdb_retention_policy influxdb_user influxdb_write ini_file installp ' +
    'interfaces_file ip_netns ipa_config ipa_dnsrecord ipa_dnszone ipa_group ipa_hbacrule ipa_host ' +
    'ipa_hostgroup ipa_otpconfig ipa_otptoken ipa_pwpolicy ipa_role ipa_service ipa_subca ipa_sudocmd ' +
    'ipa_sudocmdgroup ipa_sudorule ipa_user ipa_vault ipify_facts ipinfoio_facts ipmi_boot ipmi_power ' +
    'iptables_state ipwcli_dns irc iso_create iso_customize iso_extract jabber java_cert java_keystore ' +
    'jboss jenkins_build jenkins_job jenkins_job_info jenkins_plugin jenkins_script jira kdeconfig ' +
    'kernel_blacklist keycloak_authentication keycloak_authz_authorization_scope keycloak_client ' +
    'keycloak_client_rolemapping keycloak_clientscope keycloak_clientscope_type ' +
    'keycloak_clientsecret_info keycloak_clientsecret_regenerate keycloak_clienttemplate keycloak_group ' +
    'keycloak_identity_provider keycloak_realm keycloak_realm_info keycloak_role keycloak_user_federation ' +
    'keycloak_user_rolemapping keyring keyring_info kibana_plugin launchd layman lbu ldap_attrs ' +
    'ldap_entry ldap_passwd ldap_search librato_annotation linode linode_v4 listen_ports_facts lldp ' +
    'locale_gen logentries logentries_msg logstash_plugin lvg lvol lxc_container lxca_cmms lxca_nodes ' +
    'lxd_container lxd_profile lxd_project macports mail make manageiq_alert_profiles manageiq_alerts ' +
    'manageiq_group manageiq_policies manageiq_policies_info manageiq_provider manageiq_tags ' +
    'manageiq_tags_info manageiq_tenant manageiq_user mas matrix mattermost maven_artifact ' +
    'memset_dns_reload memset_memstore_info memset_server_info memset_zone memset_zone_domain ' +
    'memset_zone_record mksysb modprobe monit mqtt mssql_db mssql_script nagios netcup_dns ' +
    'newrelic_deployment nexmo nginx_status_info nictagadm nmcli nomad_job nomad_job_info nosh npm ' +
    'nsupdate ocapi_command ocapi_info oci_vcn odbc office_365_connector_card ohai omapi_host one_host ' +
    'one_image one_image_info one_service one_template one_vm oneandone_firewall_policy ' +
    'oneandone_load_balancer oneandone_monitoring_policy oneandone_private_network oneandone_public_ip ' +
    'oneandone_server onepassword_info oneview_datacenter_info oneview_enclosure_info ' +
    'oneview_ethernet_network oneview_ethernet_network_info oneview_fc_network oneview_fc_network_info ' +
    'oneview_fcoe_network oneview_fcoe_network_info oneview_logical_interconnect_group ' +
    'oneview_logical_interconnect_group_info oneview_network_set oneview_network_set_info ' +
    'oneview_san_manager oneview_san_manager_info online_server_info online_user_info open_iscsi ' +
    'openbsd_pkg opendj_backendprop openwrt_init opkg osx_defaults ovh_ip_failover ' +
    'ovh_ip_loadbalancing_backend ovh_monthly_billing pacemaker_cluster packet_device packet_ip_subnet ' +
    'packet_project packet_sshkey packet_volume packet_volume_attachment pacman pacman_key pagerduty ' +
    'pagerduty_alert pagerduty_change pagerduty_user pam_limits pamd parted pear pids pingdom ' +
    'pip_package_info pipx pipx_info pkg5 pkg5_publisher pkgin pkgng pkgutil pmem portage portinstall ' +
    'pritunl_org pritunl_org_info pritunl_user pritunl_user_info profitbricks profitbricks_datacenter ' +
    'profitbricks_nic profitbricks_volume profitbricks_volume_attachments proxmox proxmox_disk ' +
    'proxmox_domain_info proxmox_group_info proxmox_kvm proxmox_nic proxmox_snap proxmox_storage_info ' +
    'proxmox_tasks_info proxmox_template proxmox_user_info pubnub_blocks pulp_repo puppet pushbullet ' +
    'pushover python_requirements_info rax rax_cbs rax_cbs_attachments rax_cdb rax_cdb_database ' +
    'rax_cdb_user rax_clb rax_clb_nodes rax_clb_ssl rax_dns rax_dns_record rax_facts rax_files ' +
    'rax_files_objects rax_identity rax_keypair rax_meta rax_mon_alarm rax_mon_check rax_mon_entity ' +
    'rax_mon_notification rax_mon_notification_plan rax_network rax_queue rax_scaling_group ' +
    'rax_scaling_policy read_csv redfish_command redfish_config redfish_info redhat_subscription redis ' +
    'redis_data redis_data_incr redis_data_info redis_info rhevm rhn_channel rhn_register rhsm_release ' +
    'rhsm_repository riak rocketchat rollbar_deployment rpm_ostree_pkg rundeck_acl_policy ' +
    'rundeck_job_executions_info rundeck_job_run rundeck_project runit sap_task_list_execute ' +
    'sapcar_extract say scaleway_compute scaleway_compute_private_network scaleway_container ' +
    'scaleway_container_info scaleway_container_namespace scaleway_container_namespace_info ' +
    'scaleway_container_registry scaleway_container_registry_info scaleway_database_backup ' +
    'scaleway_function scaleway_function_info scaleway_function_namespace ' +
    'scaleway_function_namespace_info scaleway_image_info scaleway_ip scaleway_ip_info scaleway_lb ' +
    'scaleway_organization_info scaleway_private_network scaleway_security_group ' +
    'scaleway_security_group_info scaleway_security_group_rule scaleway_server_info ' +
    'scaleway_snapshot_info scaleway_sshkey scaleway_user_data scaleway_volume scaleway_volume_info ' +
    'sefcontext selinux_permissive selogin sendgrid sensu_check sensu_client sensu_handler sensu_silence ' +
    'sensu_subscription seport serverless shutdown sl_vm slack slackpkg smartos_image_info snap ' +
    'snap_alias snmp_facts solaris_zone sorcery spectrum_device spectrum_model_attrs ' +
    'spotinst_aws_elastigroup ss_3par_cpg ssh_config stackdriver stacki_host statsd statusio_maintenance ' +
    'sudoers supervisorctl svc svr4pkg swdepot swupd syslogger syspatch sysrc sysupgrade taiga_issue ' +
    'telegram terraform timezone twilio typetalk udm_dns_record udm_dns_zone udm_group udm_share udm_user ' +
    'ufw uptimerobot urpmi utm_aaa_group utm_aaa_group_info utm_ca_host_key_cert ' +
    'utm_ca_host_key_cert_info utm_dns_host utm_network_interface_address ' +
    'utm_network_interface_address_info utm_proxy_auth_profile utm_proxy_exception utm_proxy_frontend ' +
    'utm_proxy_frontend_info utm_proxy_location utm_proxy_location_info vdo vertica_configuration ' +
    'vertica_info vertica_role vertica_schema vertica_user vexata_eg vexata_volume vmadm wakeonlan ' +
    'wdc_redfish_command wdc_redfish_info webfaction_app webfaction_db webfaction_domain ' +
    'webfaction_mailbox webfaction_site xattr xbps xcc_redfish_command xenserver_facts xenserver_guest ' +
    'xenserver_guest_info xenserver_guest_powerstate xfconf xfconf_info xfs_quota xml yarn ' +
    'yum_versionlock zfs zfs_delegate_admin zfs_facts znode zpool_facts zypper zypper_repository',
  'community.docker':
    'current_container_facts docker_compose docker_config docker_container docker_container_copy_into ' +
    'docker_container_exec docker_container_info docker_host_info docker_image docker_image_info ' +
    'docker_image_load docker_login docker_network docker_network_info docker_node docker_node_info ' +
    'docker_plugin docker_prune docker_secret docker_stack docker_stack_info docker_stack_task_info ' +
    'docker_swarm docker_swarm_info docker_swarm_service docker_swarm_service_info docker_volume ' +
    'docker_volume_info',
  'community.crypto':
    'acme_account acme_account_info acme_certificate acme_certificate_revoke acme_challenge_cert_helper ' +
    'acme_inspect certificate_complete_chain crypto_info ecs_certificate ecs_domain get_certificate ' +
    'luks_device openssh_cert openssh_keypair openssl_csr openssl_csr_info openssl_csr_pipe ' +
    'openssl_dhparam openssl_pkcs12 openssl_privatekey openssl_privatekey_convert openssl_privatekey_info ' +
    'openssl_privatekey_pipe openssl_publickey openssl_publickey_info openssl_signature ' +
    'openssl_signature_info x509_certificate x509_certificate_info x509_certificate_pipe x509_crl ' +
    'x509_crl_info',
  'community.mysql':
    'mysql_db mysql_info mysql_query mysql_replication mysql_role mysql_user mysql_variables',
  'community.postgresql':
    'postgresql_copy postgresql_db postgresql_ext postgresql_idx postgresql_info postgresql_lang ' +
    'postgresql_membership postgresql_owner postgresql_pg_hba postgresql_ping postgresql_privs ' +
    'postgresql_publication postgresql_query postgresql_schema postgresql_script postgresql_sequence ' +
    'postgresql_set postgresql_slot postgresql_subscription postgresql_table postgresql_tablespace ' +
    'postgresql_user postgresql_user_obj_stat_info',
  'community.rabbitmq':
    'rabbitmq_binding rabbitmq_exchange rabbitmq_feature_flag rabbitmq_global_parameter ' +
    'rabbitmq_parameter rabbitmq_plugin rabbitmq_policy rabbitmq_publish rabbitmq_queue rabbitmq_upgrade ' +
    'rabbitmq_user rabbitmq_user_limits rabbitmq_vhost rabbitmq_vhost_limits',
  'community.mongodb':
    'mongodb_balancer mongodb_index mongodb_info mongodb_maintenance mongodb_monitoring mongodb_oplog ' +
    'mongodb_parameter mongodb_replicaset mongodb_role mongodb_schema mongodb_shard mongodb_shard_tag ' +
    'mongodb_shard_zone mongodb_shell mongodb_shutdown mongodb_status mongodb_stepdown mongodb_user',
  'community.windows':
    'psexec win_audit_policy_system win_audit_rule win_auto_logon win_certificate_info ' +
    'win_computer_description win_credential win_data_deduplication win_defrag win_dhcp_lease ' +
    'win_disk_facts win_disk_image win_dns_record win_dns_zone win_domain_computer win_domain_group ' +
    'win_domain_group_membership win_domain_object_info win_domain_ou win_domain_user win_dotnet_ngen ' +
    'win_eventlog win_eventlog_entry win_feature_info win_file_compression win_file_version win_firewall ' +
    'win_firewall_rule win_format win_hosts win_hotfix win_http_proxy win_iis_virtualdirectory ' +
    'win_iis_webapplication win_iis_webapppool win_iis_webbinding win_iis_website win_inet_proxy ' +
    'win_initialize_disk win_lineinfile win_listen_ports_facts win_mapped_drive win_msg ' +
    'win_net_adapter_feature win_netbios win_nssm win_pagefile win_partition win_pester win_power_plan ' +
    'win_product_facts win_psexec win_psmodule win_psmodule_info win_psrepository win_psrepository_copy ' +
    'win_psrepository_info win_psscript win_psscript_info win_pssession_configuration win_rabbitmq_plugin ' +
    'win_rds_cap win_rds_rap win_rds_settings win_region win_regmerge win_robocopy win_route win_say ' +
    'win_scheduled_task win_scheduled_task_stat win_scoop win_scoop_bucket win_security_policy ' +
    'win_shortcut win_snmp win_timezone win_toast win_unzip win_user_profile win_wait_for_process ' +
    'win_wakeonlan win_webpicmd win_xml win_zip',
  'kubernetes.core':
    'helm helm_info helm_plugin helm_plugin_info helm_pull helm_repository helm_template k8s ' +
    'k8s_cluster_info k8s_cp k8s_drain k8s_exec k8s_info k8s_json_patch k8s_log k8s_rollback k8s_scale ' +
    'k8s_service k8s_taint',
  'openstack.cloud':
    'address_scope auth baremetal_inspect baremetal_node baremetal_node_action baremetal_node_info ' +
    'baremetal_port baremetal_port_info catalog_service coe_cluster coe_cluster_template compute_flavor ' +
    'compute_flavor_info compute_service_info config container dns_zone dns_zone_info endpoint ' +
    'federation_idp federation_idp_info federation_mapping federation_mapping_info floating_ip ' +
    'floating_ip_info group_assignment host_aggregate identity_domain identity_domain_info identity_group ' +
    'identity_group_info identity_role identity_role_info identity_user identity_user_info image ' +
    'image_info keypair keypair_info keystone_federation_protocol keystone_federation_protocol_info ' +
    'lb_health_monitor lb_listener lb_member lb_pool loadbalancer network networks_info ' +
    'neutron_rbac_policies_info neutron_rbac_policy object object_container os_auth os_client_config ' +
    'os_coe_cluster os_coe_cluster_template os_flavor_info os_floating_ip os_group os_group_info os_image ' +
    'os_image_info os_ironic os_ironic_inspect os_ironic_node os_keypair os_keystone_domain ' +
    'os_keystone_domain_info os_keystone_endpoint os_keystone_federation_protocol ' +
    'os_keystone_federation_protocol_info os_keystone_identity_provider ' +
    'os_keystone_identity_provider_info os_keystone_mapping os_keystone_mapping_info os_keystone_role ' +
    'os_keystone_service os_listener os_loadbalancer os_member os_network os_networks_info os_nova_flavor ' +
    'os_nova_host_aggregate os_object os_pool os_port os_port_info os_project os_project_access ' +
    'os_project_info os_quota os_recordset os_router os_routers_info os_security_group ' +
    'os_security_group_rule os_server os_server_action os_server_group os_server_info os_server_metadata ' +
    'os_server_volume os_stack os_subnet os_subnets_info os_user os_user_group os_user_info os_user_role ' +
    'os_volume os_volume_snapshot os_zone port port_info project project_access project_info quota ' +
    'recordset role_assignment router routers_info security_group security_group_info security_group_rule ' +
    'security_group_rule_info server server_action server_group server_info server_metadata server_volume ' +
    'stack stack_info subnet subnet_pool subnets_info volume volume_backup volume_backup_info volume_info ' +
    'volume_snapshot volume_snapshot_info',
};

let byName: Map<string, string> | undefined;

/** The fully qualified name of the Ansible module `name` (short, or fully qualified), or undefined. */
export function ansibleModule(name: string): string | undefined {
  if (!byName) {
    byName = new Map();
    // short names resolve to ansible.builtin first, as in Ansible
    for (const [collection, names] of Object.entries(ansibleModules).reverse()) {
      for (const n of names.split(' ')) {
        byName.set(`${collection}.${n}`, `${collection}.${n}`);
        byName.set(n, `${collection}.${n}`);
      }
    }
    for (const n of ansibleModules['ansible.builtin']!.split(' ')) byName.set(`ansible.legacy.${n}`, `ansible.builtin.${n}`);
  }
  return byName.get(name);
}

/** What validation says of a task naming an Ansible module typebook lacks; undefined when `name` is no Ansible module. */
export function unsupportedModuleMessage(name: string): string | undefined {
  const fqcn = ansibleModule(name);
  if (fqcn === undefined) return undefined;
  return `'${name}' is an Ansible module${fqcn === name ? '' : ` (${fqcn})`} that typebook does not support yet`;
}

const unsupported = new Map<string, ModuleDefinition>();

/**
 * A task whose module is an Ansible module typebook lacks, kept because a `when` guards it: Ansible never runs it
 * where the condition is false, and neither does typebook; where it holds, the task fails saying so.
 */
export function unsupportedModule(name: string): ModuleDefinition | undefined {
  const message = unsupportedModuleMessage(name);
  if (message === undefined) return undefined;
  let module = unsupported.get(name);
  if (!module) {
    module = defineModule({
      name,
      aliases: [],
      description: message,
      onController: true,
      args: Type.Object({}, { additionalProperties: true }),
      run: async () => ({ changed: false, failed: true, msg: message }),
    });
    unsupported.set(name, module);
  }
  return module;
}
